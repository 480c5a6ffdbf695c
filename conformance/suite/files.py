"""Small, valid media files for the conformance suite, and a local HTTP server for them.

    python3 files.py --dir DIR            # writes the files into DIR, then exits
    python3 files.py --dir DIR --serve    # writes them, then serves DIR on 127.0.0.1

With ``--serve`` the first stdout line is ``{"port": N}`` (a free port), then the stdlib
``http.server`` serves DIR until killed. Links in the suite's messages point here, so no
link ever leaves the machine (the sandbox does not fetch links unless a channel sets
``fetch_media_links``, but the files are real anyway: their first bytes are what wagate
reads the type from).

Files (name -> MIME type): see ``FILES``. Stdlib only.
"""

from __future__ import annotations

import argparse
import functools
import json
import struct
import sys
import zlib
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png() -> bytes:
    """A 1x1 transparent RGBA PNG."""
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    idat = zlib.compress(b"\x00\x00\x00\x00\x00", 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    """A JFIF JPEG head (SOI, APP0) and EOI: enough for type detection."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"


def pdf() -> bytes:
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


def mp4() -> bytes:
    """An ISO media file: ftyp (isom, mp41), free, and an empty mdat."""
    brands = [b"isom", b"iso2", b"mp41"]
    ftyp = struct.pack(">I", 16 + 4 * len(brands)) + b"ftyp" + b"isom" + b"\x00\x00\x02\x00" + b"".join(brands)
    return ftyp + b"\x00\x00\x00\x08free" + b"\x00\x00\x00\x10mdat" + b"\x00" * 8


def ogg_opus() -> bytes:
    """An Ogg page (beginning of stream) carrying an OpusHead packet."""
    head = b"OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00"
    page = (
        b"OggS\x00\x02"
        + b"\x00" * 8
        + b"\x11\x22\x33\x44"
        + b"\x00" * 4
        + b"\x00\x00\x00\x00"
        + bytes([1, len(head)])
        + head
    )
    # Fix the page CRC (Ogg's CRC-32, polynomial 0x04c11db7, no reflection).
    crc = 0
    for b in page:
        crc ^= b << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else (crc << 1)
            crc &= 0xFFFFFFFF
    return page[:22] + struct.pack("<I", crc) + page[26:]


def mp3() -> bytes:
    """An ID3v2.4 tag, then a few MPEG-1 Layer III frame headers (128 kbit/s, 44.1 kHz)."""
    frame = b"\xff\xfb\x90\x64" + b"\x00" * 413
    return b"ID3\x04\x00\x00\x00\x00\x00\x00" + frame * 3


def webp() -> bytes:
    """A static WebP: RIFF/WEBP with one VP8L chunk (a 1x1 lossless image)."""
    vp8l = b"\x2f\x00\x00\x00\x00\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
    chunk = b"VP8L" + struct.pack("<I", len(vp8l)) + vp8l
    body = b"WEBP" + chunk
    return b"RIFF" + struct.pack("<I", len(body)) + body


FILES = {
    "pixel.png": (png, "image/png"),
    "photo.jpg": (jpeg, "image/jpeg"),
    "clip.mp4": (mp4, "video/mp4"),
    "voice.ogg": (ogg_opus, "audio/ogg"),
    "song.mp3": (mp3, "audio/mpeg"),
    "invoice.pdf": (pdf, "application/pdf"),
    "sticker.webp": (webp, "image/webp"),
}


def write(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, (make, _) in FILES.items():
        (directory / name).write_bytes(make())


class _Quiet(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".ogg": "audio/ogg",
        ".webp": "image/webp",
        ".mp3": "audio/mpeg",
    }

    def log_message(self, fmt, *args):  # keep stdout for the port line
        pass


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", required=True)
    p.add_argument("--serve", action="store_true")
    args = p.parse_args()
    directory = Path(args.dir)
    write(directory)
    if not args.serve:
        return
    handler = functools.partial(_Quiet, directory=str(directory))
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    sys.stdout.write(json.dumps({"port": srv.server_address[1]}) + "\n")
    sys.stdout.flush()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
