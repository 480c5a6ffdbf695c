"""QR codes through the unmodified pywa library's own QR calls (conformance harness).

Run with the venv made by ``conformance/webhooks/setup.sh``:

    <cache>/venv/bin/python pywa_qr.py --base-url URL --token KEY --phone-id P

(or the environment variables WAGATE_BASE_URL, WAGATE_API_KEY, WAGATE_PHONE_NUMBER_ID).
On a phone number with no QR codes yet, it creates four codes with
``WhatsApp.create_qr_code`` (PNG and SVG), reads one with ``WhatsApp.get_qr_code`` (without
and with an image type) and ``QRCode.fetch_image``, lists them with
``WhatsApp.get_qr_codes`` (with an image type, and two per page followed with
``Result.next`` and ``Result.all``), updates messages with ``WhatsApp.update_qr_code`` and
``QRCode.update``, deletes two with ``WhatsApp.delete_qr_code`` and ``QRCode.delete``, checks
a deleted code is unknown (Graph 100/33), and sends a 141-character message and an image
type ``GIF``, which must be refused with Graph code 100. Two codes are left: ``keep_png``
and ``keep_svg`` report their image URLs and deep links, for the caller to fetch and decode.

Every operation prints one JSON line: ``{"op", "ok", "detail"}``. ``ok`` means "behaved
as a client would expect" (for the refusals: the library raised the expected error).
The script exits 0 whatever happened; the caller judges.

pywa 4.5.0 has no base-URL option: ``GraphAPI.__init__`` sets the httpx session's
``base_url`` to ``https://graph.facebook.com/v{api_version}``. The documented ``session=``
argument takes any ``httpx.Client``, so the script passes one whose transport sends
requests for graph.facebook.com to wagate. Other hosts (a ``paging.next`` URL, already on
wagate's host) are left alone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback

import httpx
from pywa import WhatsApp
from pywa.errors import WhatsAppError
from pywa.types.others import Pagination, QRCode, QRCodeImageType


def emit(op: str, ok: bool, detail) -> None:
    sys.stdout.write(json.dumps({"op": op, "ok": ok, "detail": detail}, default=str) + "\n")
    sys.stdout.flush()


def error_detail(e: BaseException) -> dict:
    if isinstance(e, WhatsAppError):
        return {
            "error": type(e).__name__,
            "code": e.code,
            "subcode": e.subcode,
            "message": e.message,
            "details": e.details,
        }
    return {
        "error": type(e).__name__,
        "message": str(e),
        "trace": traceback.format_exc(limit=3),
    }


class ToWagate(httpx.HTTPTransport):
    """Sends requests addressed to graph.facebook.com to wagate's base URL instead."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self._base = httpx.URL(base_url)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "graph.facebook.com":
            prefix = self._base.raw_path.rstrip(b"/")
            request.url = request.url.copy_with(
                scheme=self._base.scheme,
                host=self._base.host,
                port=self._base.port,
                raw_path=prefix + request.url.raw_path,
            )
            request.headers["Host"] = self._base.netloc.decode("ascii")
        return super().handle_request(request)


def view(qr: QRCode) -> dict:
    return {
        "code": qr.code,
        "prefilled_message": qr.prefilled_message,
        "deep_link_url": qr.deep_link_url,
        "qr_image_url": qr.qr_image_url,
    }


def well_formed(qr: QRCode, message: str, ext: str | None) -> bool:
    """The code object a client expects: a 14-character code, its wa.me deep link, the
    message, and an image URL of the asked type (none when none was asked for)."""
    url_ok = qr.qr_image_url is None if ext is None else (
        isinstance(qr.qr_image_url, str) and qr.qr_image_url.endswith(f"/qr/{qr.code}.{ext}")
    )
    return (
        len(qr.code) == 14
        and qr.code.isalnum()
        and qr.code.upper() == qr.code
        and qr.deep_link_url == f"https://wa.me/message/{qr.code}"
        and qr.prefilled_message == message
        and url_ok
    )


def step(op: str, fn) -> None:
    """Runs one operation: ``fn`` returns ``(ok, detail)``; an exception is a failure."""
    try:
        ok, detail = fn()
        emit(op, ok, detail)
    except Exception as e:  # noqa: BLE001 - report every failure
        emit(op, False, error_detail(e))


def refused(op: str, fn, code: int, subcode: int | None = None) -> None:
    """``fn`` must raise pywa's WhatsAppError with Graph ``code`` (and ``subcode``)."""
    try:
        result = fn()
        emit(op, False, {"not_refused": str(result)})
    except WhatsAppError as e:
        ok = e.code == code and (subcode is None or e.subcode == subcode)
        emit(op, ok, error_detail(e))
    except Exception as e:  # noqa: BLE001
        emit(op, False, error_detail(e))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--base-url", default=os.environ.get("WAGATE_BASE_URL"))
    p.add_argument("--token", default=os.environ.get("WAGATE_API_KEY"))
    p.add_argument("--phone-id", default=os.environ.get("WAGATE_PHONE_NUMBER_ID"))
    args = p.parse_args()
    missing = [k for k in ("base_url", "token", "phone_id") if not getattr(args, k)]
    if missing:
        p.error(f"missing {', '.join(missing)}")

    wa = WhatsApp(
        phone_id=args.phone_id,
        token=args.token,
        api_version="23.0",
        session=httpx.Client(transport=ToWagate(args.base_url), timeout=30),
    )

    # 1. Create: PNG by enum, SVG by string, the default (PNG), and one more SVG.
    made: dict[str, QRCode] = {}
    plan = [
        ("keep_png", "Hello from pywa 👋", QRCodeImageType.PNG, "png"),
        ("keep_svg", "Order status, please", "SVG", "svg"),
        ("drop_a", "Drop me", None, "png"),
        ("drop_b", "Drop me too", QRCodeImageType.SVG, "svg"),
    ]
    for name, message, image_type, ext in plan:

        def create(name=name, message=message, image_type=image_type, ext=ext):
            if image_type is None:
                qr = wa.create_qr_code(message)
            else:
                qr = wa.create_qr_code(message, image_type=image_type)
            made[name] = qr
            return well_formed(qr, message, ext), view(qr)

        step(f"create_{name}", create)
    if len(made) < len(plan):
        return

    keep_png = made["keep_png"]

    # 2. Read one: no image URL unless asked for; with SVG; fetch_image.
    def get_plain():
        qr = wa.get_qr_code(keep_png.code)
        return qr is not None and well_formed(qr, keep_png.prefilled_message, None), view(qr)

    step("get_qr_code", get_plain)

    def get_svg():
        qr = wa.get_qr_code(keep_png.code, image_type=QRCodeImageType.SVG)
        return well_formed(qr, keep_png.prefilled_message, "svg"), view(qr)

    step("get_qr_code_svg", get_svg)

    def fetch_image():
        qr = keep_png.fetch_image(QRCodeImageType.PNG)
        return well_formed(qr, keep_png.prefilled_message, "png"), view(qr)

    step("fetch_image", fetch_image)

    # 3. List: every code with an image URL; two per page, followed page by page.
    codes = {qr.code for qr in made.values()}

    def list_png():
        res = wa.get_qr_codes(image_type=QRCodeImageType.PNG)
        listed = {qr.code: qr for qr in res}
        messages = {qr.code: qr.prefilled_message for qr in made.values()}
        ok = set(listed) == codes and all(
            well_formed(qr, messages[code], "png") for code, qr in listed.items()
        )
        return ok, {"codes": sorted(listed), "has_next": res.has_next}

    step("get_qr_codes", list_png)

    def list_paged():
        first = wa.get_qr_codes(pagination=Pagination(limit=2))
        second = first.next()
        third = second.next()
        everything = wa.get_qr_codes(pagination=Pagination(limit=3)).all()
        pages = [[qr.code for qr in page] for page in (first, second, third)]
        ok = (
            [len(p) for p in pages] == [2, 2, 0]
            and first.has_next
            and not second.has_next
            and set(pages[0] + pages[1]) == codes
            and {qr.code for qr in everything} == codes
            and len(everything) == len(codes)
            and all(qr.qr_image_url is None for qr in everything)
        )
        return ok, {"pages": pages, "after": first.after, "all": len(everything)}

    step("get_qr_codes_paged", list_paged)

    # 4. Update, by the client and by the object; a read shows the new message.
    def update():
        qr = wa.update_qr_code(code=made["keep_svg"].code, prefilled_message="Order status, updated")
        again = wa.get_qr_code(qr.code)
        ok = well_formed(qr, "Order status, updated", None) and again.prefilled_message == qr.prefilled_message
        return ok, view(qr)

    step("update_qr_code", update)

    def update_object():
        qr = keep_png.update(prefilled_message="Hello again from pywa")
        again = wa.get_qr_code(qr.code)
        ok = well_formed(qr, "Hello again from pywa", None) and again.prefilled_message == qr.prefilled_message
        return ok, view(qr)

    step("qr_update", update_object)

    # 5. Delete, by the client and by the object; a deleted code is unknown.
    def delete():
        res = wa.delete_qr_code(made["drop_a"].code)
        return bool(res) and res.success is True, {"success": res.success}

    step("delete_qr_code", delete)

    def delete_object():
        res = made["drop_b"].delete()
        return bool(res) and res.success is True, {"success": res.success}

    step("qr_delete", delete_object)
    refused("get_deleted", lambda: wa.get_qr_code(made["drop_a"].code), 100, 33)
    refused("delete_deleted", lambda: wa.delete_qr_code(made["drop_b"].code), 100, 33)

    def after_delete():
        left = {qr.code for qr in wa.get_qr_codes().all()}
        want = {made["keep_png"].code, made["keep_svg"].code}
        return left == want, {"codes": sorted(left)}

    step("list_after_delete", after_delete)

    # 6. Bad input is refused with Graph code 100.
    refused("create_too_long", lambda: wa.create_qr_code("x" * 141), 100)
    refused("create_bad_image_type", lambda: wa.create_qr_code("Hi", image_type="GIF"), 100)
    refused("update_unknown", lambda: wa.update_qr_code(code="ZZZZZZZZZZZZZZ", prefilled_message="Hi"), 100, 33)

    # 7. The codes left, for the caller to fetch and decode their images.
    for name in ("keep_png", "keep_svg"):
        emit(name, True, view(made[name]))


if __name__ == "__main__":
    main()
