"""Media through the unmodified pywa library's own media calls (conformance harness).

Run with the venv made by ``conformance/webhooks/setup.sh``:

    <cache>/venv/bin/python pywa_media.py --base-url URL --token KEY --phone-id P \
        [--to +15551230001]

(or the environment variables WAGATE_BASE_URL, WAGATE_API_KEY, WAGATE_PHONE_NUMBER_ID).
It uploads a PNG (from bytes and from a file object) and a PDF (from a file path) with
``WhatsApp.upload_media``, reads each with ``WhatsApp.get_media_url``, downloads them with
``WhatsApp.download_media``, ``Media.download`` and ``MediaURL.get_bytes`` and compares
bytes and sha256 with the originals, sends the PNG with ``send_image`` by its id and the
PDF with ``send_document`` by its ``Media`` object, deletes them with
``WhatsApp.delete_media`` and ``Media.delete``, checks that a second ``get_media_url``
and the old download URL fail, and uploads PNG bytes declared as JPEG, which must be
refused with Graph code 100.

Every operation prints one JSON line: ``{"op", "ok", "detail"}``. ``ok`` means "behaved
as a client would expect" (for the refusals: the library raised the expected error).
The script exits 0 whatever happened; the caller judges.

pywa 4.5.0 has no base-URL option: ``GraphAPI.__init__`` sets the httpx session's
``base_url`` to ``https://graph.facebook.com/v{api_version}``. The documented ``session=``
argument takes any ``httpx.Client``, so the script passes one whose transport sends
requests for graph.facebook.com to wagate. Other hosts (the download URL wagate returns
is already on wagate's host) are left alone.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pathlib
import struct
import sys
import tempfile
import traceback
import zlib

import httpx
from pywa import WhatsApp
from pywa.errors import WhatsAppError


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
    if isinstance(e, httpx.HTTPStatusError):
        return {
            "error": type(e).__name__,
            "status": e.response.status_code,
            "message": str(e),
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


def png_1x1() -> bytes:
    """A 1x1 transparent RGBA PNG (68 bytes): signature, IHDR, one IDAT, IEND."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    idat = zlib.compress(b"\x00\x00\x00\x00\x00", 9)  # filter 0, one transparent pixel
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def tiny_pdf() -> bytes:
    """A one-page PDF-1.4 with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


def sha256(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--base-url", default=os.environ.get("WAGATE_BASE_URL"))
    p.add_argument("--token", default=os.environ.get("WAGATE_API_KEY"))
    p.add_argument("--phone-id", default=os.environ.get("WAGATE_PHONE_NUMBER_ID"))
    p.add_argument("--to", default="+15551230001")
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
    with tempfile.TemporaryDirectory(prefix="wagate-pywa-media-") as tmp:
        run(wa, args, pathlib.Path(tmp))


def run(wa: WhatsApp, args: argparse.Namespace, work: pathlib.Path) -> None:
    base = args.base_url.rstrip("/")
    png, pdf = png_1x1(), tiny_pdf()
    pdf_path = work / "tiny.pdf"
    pdf_path.write_bytes(pdf)
    png_path = work / "pixel.png"
    png_path.write_bytes(png)
    originals = {"png": png, "pdf": pdf}
    mime = {"png": "image/png", "pdf": "application/pdf"}

    # 1. Upload: PNG from bytes, PDF from a file path, PNG again from a file object.
    uploaded = {}
    for op, key, call in [
        (
            "upload_png_bytes",
            "png",
            lambda: wa.upload_media(media=png, mime_type="image/png", filename="pixel.png"),
        ),
        ("upload_pdf_path", "pdf", lambda: wa.upload_media(media=pdf_path)),
        ("upload_png_file", "png_file", lambda: _upload_file(wa, png_path)),
    ]:
        try:
            media = call()
            uploaded[key] = media
            emit(op, str(media.id).isdigit(), {"id": media.id, "filename": media.filename})
        except Exception as e:  # noqa: BLE001 - report every failure
            emit(op, False, error_detail(e))

    # 2. Read the media info.
    infos = {}
    for key in ("png", "pdf", "png_file"):
        media = uploaded.get(key)
        if media is None:
            continue
        kind = "pdf" if key == "pdf" else "png"
        try:
            info = wa.get_media_url(media_id=media.id)
            infos[key] = info
            want = originals[kind]
            problems = []
            if info.id != media.id:
                problems.append(f"id {info.id} != {media.id}")
            if info.mime_type != mime[kind]:
                problems.append(f"mime_type {info.mime_type}")
            if int(info.file_size) != len(want):
                problems.append(f"file_size {info.file_size} != {len(want)}")
            if info.sha256 != sha256(want):
                problems.append(f"sha256 {info.sha256} != {sha256(want)}")
            if not info.url.startswith(base + "/"):
                problems.append(f"url {info.url} not on {base}")
            emit(
                f"info_{key}",
                not problems,
                {
                    "id": info.id,
                    "url": info.url,
                    "mime_type": info.mime_type,
                    "sha256": info.sha256,
                    "file_size": info.file_size,
                    "problems": problems,
                },
            )
        except Exception as e:  # noqa: BLE001
            emit(f"info_{key}", False, error_detail(e))

    def judge(op: str, got: bytes, kind: str, extra: dict) -> None:
        want = originals[kind]
        same = got == want and sha256(got) == sha256(want)
        emit(op, same, {"bytes": len(got), "sha256": sha256(got), **extra})

    # 3. Download through the library (its session sends the Bearer token along).
    if "png" in infos:
        try:
            # No filename: pywa takes it from the Content-Disposition header.
            (work / "dl").mkdir(exist_ok=True)
            saved = wa.download_media(url=infos["png"].url, path=work / "dl")
            judge("download_png", saved.read_bytes(), "png", {"saved_as": saved.name})
        except Exception as e:  # noqa: BLE001
            emit("download_png", False, error_detail(e))
        try:
            judge("get_bytes_png", infos["png"].get_bytes(), "png", {})
        except Exception as e:  # noqa: BLE001
            emit("get_bytes_png", False, error_detail(e))
    if "pdf" in uploaded:
        try:
            # Media.download: get_media_url by id, then download_media.
            saved = uploaded["pdf"].download(path=work, filename="downloaded.pdf")
            judge("download_pdf", saved.read_bytes(), "pdf", {"saved_as": saved.name})
        except Exception as e:  # noqa: BLE001
            emit("download_pdf", False, error_detail(e))

    # 4. Send by the uploaded id: the PNG as an image by its id string, the PDF as a
    # document by its Media object.
    if "png" in uploaded:
        try:
            sent = wa.send_image(to=args.to, image=uploaded["png"].id, caption="pixel")
            emit(
                "send_image",
                str(sent.id).startswith("wamid."),
                {"id": sent.id, "media_id": uploaded["png"].id},
            )
        except Exception as e:  # noqa: BLE001
            emit("send_image", False, error_detail(e))
    if "pdf" in uploaded:
        try:
            sent = wa.send_document(to=args.to, document=uploaded["pdf"], filename="tiny.pdf")
            emit(
                "send_document",
                str(sent.id).startswith("wamid."),
                {"id": sent.id, "media_id": uploaded["pdf"].id},
            )
        except Exception as e:  # noqa: BLE001
            emit("send_document", False, error_detail(e))

    # 5. Delete: by id with the client's phone id (`phone_number_id` in the query), by the
    # Media object (no phone id), and the file-object upload by id alone.
    deletes = [
        ("delete_png", "png", lambda m: wa.delete_media(media_id=m.id, phone_id=None)),
        ("delete_pdf", "pdf", lambda m: m.delete()),
        ("delete_png_file", "png_file", lambda m: wa.delete_media(media_id=m.id)),
    ]
    for op, key, call in deletes:
        media = uploaded.get(key)
        if media is None:
            continue
        try:
            res = call(media)
            emit(op, bool(res.success), {"id": media.id, "success": res.success})
        except Exception as e:  # noqa: BLE001
            emit(op, False, error_detail(e))

    # 6. A second GET of each deleted id fails with Graph code 100.
    for op, key, _ in deletes:
        media = uploaded.get(key)
        if media is None:
            continue
        op = op.replace("delete_", "get_deleted_")
        try:
            info = wa.get_media_url(media_id=media.id)
            emit(op, False, {"unexpected": "still readable", "url": info.url})
        except WhatsAppError as e:
            emit(op, e.code == 100, error_detail(e))
        except Exception as e:  # noqa: BLE001
            emit(op, False, error_detail(e))

    # 7. The download URL handed out before the delete serves nothing any more.
    if "png" in infos:
        try:
            saved = wa.download_media(url=infos["png"].url, path=work, filename="gone.png")
            emit("download_deleted", False, {"unexpected": "downloaded", "bytes": saved.stat().st_size})
        except httpx.HTTPStatusError as e:
            emit("download_deleted", e.response.status_code == 404, error_detail(e))
        except Exception as e:  # noqa: BLE001
            emit("download_deleted", False, error_detail(e))

    # 8. PNG bytes declared as a JPEG: refused with Graph code 100.
    try:
        media = wa.upload_media(media=png, mime_type="image/jpeg", filename="photo.jpg")
        emit("upload_mismatch", False, {"unexpected": "accepted", "id": media.id})
    except WhatsAppError as e:
        emit("upload_mismatch", e.code == 100, error_detail(e))
    except Exception as e:  # noqa: BLE001
        emit("upload_mismatch", False, error_detail(e))


def _upload_file(wa: WhatsApp, path: pathlib.Path):
    # A file object: pywa takes the name and, from it, the MIME type.
    with path.open("rb") as f:
        return wa.upload_media(media=f)


if __name__ == "__main__":
    main()
