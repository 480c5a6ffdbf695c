"""The business profile, commerce settings and WABA calls of the unmodified pywa library
against wagate (conformance harness).

Run with the venv made by ``conformance/webhooks/setup.sh``:

    <cache>/venv/bin/python pywa_profile.py --base-url URL --token KEY \
        --waba-id W --phone-id P [--app-id 1234567890]

(or the environment variables WAGATE_BASE_URL, WAGATE_API_KEY, WAGATE_WABA_ID,
WAGATE_PHONE_NUMBER_ID). Against a fresh phone number, with pywa's own calls:

1. ``get_empty``: ``WhatsApp.get_business_profile`` parses a profile with nothing set
   (industry UNDEFINED);
2. ``update`` / ``get_updated``: ``update_business_profile`` with every text field, an
   ``Industry`` and websites, read back field by field;
3. ``picture_bytes``: ``update_business_profile(profile_picture=<JPEG bytes>)``: pywa
   uploads them through the Resumable Upload API (``app_id``) and sends the handle;
   ``picture_url``: the profile's ``profile_picture_url`` serves those bytes without a key;
4. ``picture_path``: the same from a PNG file path (pywa takes the type from the name);
5. ``clear``: ``update_business_profile(email=None)`` (pywa sends ``""``) clears the email
   and keeps the rest;
6. ``update_invalid``: an ``about`` of 140 characters raises pywa's error with code 131009;
7. ``get_commerce`` / ``update_commerce`` / ``get_commerce_updated``:
   ``get_commerce_settings`` and ``update_commerce_settings(is_cart_enabled=False)`` (pywa
   sends it in the query string);
8. ``business_account``: ``get_business_account`` parses the WABA with every field pywa
   asks for.

Every operation prints one JSON line: ``{"op", "ok", "detail"}``. The script exits 0
whatever happened; the caller judges. pywa 4.5.0 has no base-URL option: as in
``conformance/media``, ``session=`` gets an ``httpx.Client`` whose transport sends requests
for graph.facebook.com to wagate.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import traceback

import httpx
from pywa import WhatsApp
from pywa.errors import WhatsAppError
from pywa.types import Industry


def jpeg(filler: int) -> bytes:
    """A JFIF start, then filler bytes (wagate reads the type from the first bytes)."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x42" * filler


def png(filler: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0" + b"\x5a" * filler


def emit(op: str, ok: bool, detail) -> None:
    sys.stdout.write(json.dumps({"op": op, "ok": bool(ok), "detail": detail}, default=str) + "\n")
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
    return {"error": type(e).__name__, "message": str(e), "trace": traceback.format_exc(limit=3)}


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


def run(op: str, fn) -> None:
    """Runs one operation: ``fn`` answers ``(ok, detail)``; an exception is a failure."""
    try:
        ok, detail = fn()
        emit(op, ok, detail)
    except Exception as e:  # noqa: BLE001 - report every failure
        emit(op, False, error_detail(e))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--base-url", default=os.environ.get("WAGATE_BASE_URL"))
    p.add_argument("--token", default=os.environ.get("WAGATE_API_KEY"))
    p.add_argument("--waba-id", default=os.environ.get("WAGATE_WABA_ID"))
    p.add_argument("--phone-id", default=os.environ.get("WAGATE_PHONE_NUMBER_ID"))
    p.add_argument("--app-id", default="1234567890", help="any numeric id: wagate has no apps")
    args = p.parse_args()
    missing = [k for k in ("base_url", "token", "waba_id", "phone_id") if not getattr(args, k)]
    if missing:
        p.error(f"missing {', '.join(missing)}")

    wa = WhatsApp(
        phone_id=args.phone_id,
        token=args.token,
        waba_id=args.waba_id,
        app_id=args.app_id,
        api_version="23.0",
        session=httpx.Client(transport=ToWagate(args.base_url), timeout=30),
    )
    # The picture URL is fetched like a browser would: no key, no rewriting.
    plain = httpx.Client(timeout=30)

    def get_empty():
        prof = wa.get_business_profile()
        ok = prof.industry == Industry.UNDEFINED and prof.about is None and prof.websites is None
        return ok, repr(prof)

    run("get_empty", get_empty)

    wanted = {
        "about": "Made with pywa",
        "address": "1 Pywa Street, Python City",
        "description": "A business profile written by pywa's own calls.",
        "email": "pywa@acme.example",
    }

    def update():
        result = wa.update_business_profile(
            **wanted, industry=Industry.RETAIL, websites=["https://pywa.example", "http://shop.pywa.example"]
        )
        return bool(result), {"success": result.success}

    run("update", update)

    def get_updated():
        prof = wa.get_business_profile()
        ok = (
            all(getattr(prof, k) == v for k, v in wanted.items())
            and prof.industry == Industry.RETAIL
            and prof.websites == ("https://pywa.example", "http://shop.pywa.example")
        )
        return ok, repr(prof)

    run("get_updated", get_updated)

    picture = jpeg(2048)
    urls: list[str] = []

    def picture_bytes():
        result = wa.update_business_profile(profile_picture=picture)
        prof = wa.get_business_profile()
        if prof.profile_picture_url:
            urls.append(prof.profile_picture_url)
        return bool(result) and bool(prof.profile_picture_url), {"url": prof.profile_picture_url}

    run("picture_bytes", picture_bytes)

    def picture_url():
        res = plain.get(urls[-1])
        return (
            res.status_code == 200 and res.content == picture and res.headers["content-type"] == "image/jpeg",
            {"status": res.status_code, "type": res.headers.get("content-type"), "size": len(res.content)},
        )

    if urls:
        run("picture_url", picture_url)
    else:
        emit("picture_url", False, {"skipped": "no profile_picture_url after the upload"})

    def picture_path():
        image = png(700)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "logo.png")
            with open(path, "wb") as f:
                f.write(image)
            result = wa.update_business_profile(profile_picture=path)
        url = wa.get_business_profile().profile_picture_url
        res = plain.get(url) if url else None
        ok = (
            bool(result)
            and url is not None
            and url not in urls
            and res.status_code == 200
            and res.content == image
            and res.headers["content-type"] == "image/png"
            and plain.get(urls[0]).status_code == 404
        ) if urls else False
        return ok, {"url": url, "status": res.status_code if res else None}

    run("picture_path", picture_path)

    def clear():
        result = wa.update_business_profile(email=None)
        prof = wa.get_business_profile()
        ok = bool(result) and prof.email is None and prof.about == wanted["about"] and prof.industry == Industry.RETAIL
        return ok, repr(prof)

    run("clear", clear)

    def update_invalid():
        try:
            wa.update_business_profile(about="x" * 140)
        except WhatsAppError as e:
            return e.code == 131009, error_detail(e)
        return False, {"accepted": "an about of 140 characters"}

    run("update_invalid", update_invalid)

    def get_commerce():
        s = wa.get_commerce_settings()
        return s.is_cart_enabled is True and s.is_catalog_visible is True and s.catalog_id.isdigit(), repr(s)

    run("get_commerce", get_commerce)

    def update_commerce():
        result = wa.update_commerce_settings(is_cart_enabled=False)
        return bool(result), {"success": result.success}

    run("update_commerce", update_commerce)

    def get_commerce_updated():
        s = wa.get_commerce_settings()
        return s.is_cart_enabled is False and s.is_catalog_visible is True, repr(s)

    run("get_commerce_updated", get_commerce_updated)

    def business_account():
        waba = wa.get_business_account()
        ok = (
            waba.id == args.waba_id
            and bool(waba.name)
            and waba.timezone_id == "1"
            and bool(waba.message_template_namespace)
            and waba.currency == "USD"
            and waba.owner_business_info is not None
        )
        return ok, repr(waba)

    run("business_account", business_account)


if __name__ == "__main__":
    main()
