"""Meta's Resumable Upload API through the unmodified pywa library (conformance harness).

Run with the venv made by ``conformance/webhooks/setup.sh``:

    <cache>/venv/bin/python pywa_resumable.py --base-url URL --token KEY \
        --waba-id W --phone-id P [--app-id 1234567890]

(or the environment variables WAGATE_BASE_URL, WAGATE_API_KEY, WAGATE_WABA_ID,
WAGATE_PHONE_NUMBER_ID). With pywa's own calls it:

1. ``upload``: ``GraphAPI.create_upload_session``, then ``upload_file`` with the
   first half of a PNG at offset 0, ``get_upload_session`` (the offset to resume
   from), and ``upload_file`` with the rest at that offset, which answers the
   handle ``h``;
2. ``wrong_offset``: ``upload_file`` at an offset the session has not reached,
   which must raise pywa's error (Graph code 100);
3. ``template_handle``: ``WhatsApp.create_template`` with an IMAGE header whose
   example is that handle;
4. ``template_bytes``: ``WhatsApp.create_template`` with an IMAGE header whose
   example is the PNG's bytes: pywa uploads them itself through the Resumable
   Upload API (``app_id``) and puts the handle it got in the template.

Every operation prints one JSON line: ``{"op", "ok", "detail"}``. The script exits
0 whatever happened; the caller judges.

pywa 4.5.0 has no base-URL option; as in ``conformance/templates``, the
``session=`` argument gets an ``httpx.Client`` whose transport sends requests for
graph.facebook.com to wagate.
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
from pywa.types.templates import (
    BodyText,
    HeaderImage,
    Template,
    TemplateCategory,
    TemplateLanguage,
)


def png(filler: int) -> bytes:
    """A PNG signature and IHDR chunk, then filler bytes (wagate reads the type from
    the first bytes)."""
    head = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0"
    return head + b"\x5a" * filler


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
    data = png(4000)
    half = len(data) // 2

    # 1. Two chunks with a resume in between.
    handle = None
    try:
        session = wa.api.create_upload_session(
            app_id=args.app_id, file_name="cat.png", file_length=len(data), file_type="image/png"
        )
        sid = session["id"]
        first = wa.api.upload_file(upload_session_id=sid, file=data[:half], file_offset=0)
        resumed = wa.api.get_upload_session(upload_session_id=sid)
        rest = wa.api.upload_file(
            upload_session_id=sid,
            file=data[resumed["file_offset"]:],
            file_offset=resumed["file_offset"],
        )
        handle = rest.get("h")
        emit(
            "upload",
            sid.startswith("upload:") and resumed["file_offset"] == half and bool(handle),
            {"session": session, "first": first, "resumed": resumed, "last": rest, "size": len(data)},
        )
    except Exception as e:  # noqa: BLE001 - report every failure
        emit("upload", False, error_detail(e))

    # 2. An offset the session has not reached.
    try:
        sid = wa.api.create_upload_session(
            app_id=args.app_id, file_name="cat.png", file_length=len(data), file_type="image/png"
        )["id"]
        answer = wa.api.upload_file(upload_session_id=sid, file=data[half:], file_offset=half)
        emit("wrong_offset", False, {"accepted": answer})
    except WhatsAppError as e:
        emit("wrong_offset", e.code == 100, error_detail(e))
    except Exception as e:  # noqa: BLE001
        emit("wrong_offset", False, error_detail(e))

    body = "Our new spring collection is here, take a look at this season's picks."

    # 3. The handle as a template's IMAGE header example.
    if handle is not None:
        try:
            created = wa.create_template(
                template=Template(
                    name="pywa_uploaded_handle",
                    language=TemplateLanguage.ENGLISH_US,
                    category=TemplateCategory.MARKETING,
                    components=[HeaderImage(example=handle), BodyText(body)],
                )
            )
            emit("template_handle", True, {"id": created.id, "handle": handle})
        except Exception as e:  # noqa: BLE001
            emit("template_handle", False, error_detail(e))
    else:
        emit("template_handle", False, {"skipped": "no handle from the upload"})

    # 4. Bytes as the example: pywa uploads them itself.
    try:
        created = wa.create_template(
            template=Template(
                name="pywa_uploaded_bytes",
                language=TemplateLanguage.ENGLISH_US,
                category=TemplateCategory.MARKETING,
                components=[HeaderImage(example=data, mime_type="image/png"), BodyText(body)],
            )
        )
        emit("template_bytes", True, {"id": created.id})
    except Exception as e:  # noqa: BLE001
        emit("template_bytes", False, error_detail(e))


if __name__ == "__main__":
    main()
