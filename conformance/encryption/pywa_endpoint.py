"""A WhatsApp Flows endpoint built on pywa's own helpers (conformance harness).

    <cache>/venv/bin/python pywa_endpoint.py --private-key FILE --secret SECRET

Listens on 127.0.0.1 (a free port) and prints ``LISTENING http://127.0.0.1:PORT/flow`` as
its first line. Each POST must carry ``X-Hub-Signature-256`` (HMAC-SHA256 of the body under
SECRET), else it answers 432. The body is decrypted with
``pywa.utils.default_flow_request_decryptor`` (Meta's documented Python example, which pywa
ships), 421 when that fails, and answered with ``default_flow_response_encryptor``:

- ``ping`` → ``{"data": {"status": "active"}}``
- ``INIT`` → ``{"screen": "START", "data": {"echo": "INIT"}}``
- ``data_exchange`` → ``SUCCESS`` with ``extension_message_response.params``: the flow token
  and the request's data.

It runs until killed.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from pywa.utils import default_flow_request_decryptor, default_flow_response_encryptor


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--private-key", required=True)
    p.add_argument("--secret", required=True)
    args = p.parse_args()
    with open(args.private_key, encoding="ascii") as f:
        private_key = f.read()
    secret = args.secret.encode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a) -> None:  # quiet
            pass

        def answer(self, status: int, body: bytes = b"", ctype: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            want = "sha256=" + hmac.new(secret, raw, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(want, self.headers.get("X-Hub-Signature-256", "")):
                return self.answer(432)
            try:
                body = json.loads(raw)
                request, aes_key, iv = default_flow_request_decryptor(
                    body["encrypted_flow_data"],
                    body["encrypted_aes_key"],
                    body["initial_vector"],
                    private_key,
                )
            except Exception:  # noqa: BLE001 - any failure to decrypt is Meta's 421
                return self.answer(421)
            action = request.get("action")
            if action == "ping":
                response = {"data": {"status": "active"}}
            elif action == "INIT":
                response = {"screen": "START", "data": {"echo": "INIT"}}
            else:
                params = {"flow_token": request.get("flow_token"), **request.get("data", {})}
                response = {
                    "screen": "SUCCESS",
                    "data": {"extension_message_response": {"params": params}},
                }
            self.answer(200, default_flow_response_encryptor(response, aes_key, iv).encode())

    server = HTTPServer(("127.0.0.1", 0), Handler)
    sys.stdout.write(f"LISTENING http://127.0.0.1:{server.server_port}/flow\n")
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
