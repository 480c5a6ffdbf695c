"""pywa's own business-key call against wagate (conformance harness).

    WAGATE_URL=… WAGATE_KEY=… WAGATE_PHONE_ID=… PUBLIC_KEY=… <cache>/venv/bin/python pywa_keys.py

pywa 4.5.0 has ``WhatsApp.set_business_public_key`` (JSON ``business_public_key``) and no
getter, so the key is read back with pywa's own HTTP session (``wa.api._request``) on the
same edge. A 1024-bit key must be refused with pywa's ``WhatsAppError`` (Graph code 100).
Prints one JSON object: ``set``, ``get_key``, ``get_status``, ``bad_key_error``.

pywa has no base-URL option; as in conformance/qr/pywa_qr.py the httpx session's transport
sends graph.facebook.com requests to wagate.
"""

from __future__ import annotations

import json
import os
import sys

import httpx
from pywa import WhatsApp
from pywa.errors import WhatsAppError

RSA_1024 = """-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC9Rjgw/JuEnYb0Hm1Zk6lSYROB
ZFgltxddInpxKs2L/7MeCSi/+lNurxwZSwYOiBzDBOOmSdAOsfjhKNm7Kt0cD91F
1/2jeo3YkIjl1zfhBTYE04DH1Aqxp1Og4Yy0+pWphnIJDTlP9SpwH5ps1gLHjF3i
UCQ3V9k9WUc37fkT+wIDAQAB
-----END PUBLIC KEY-----"""


class ToWagate(httpx.HTTPTransport):
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
    base = os.environ["WAGATE_URL"]
    phone_id = os.environ["WAGATE_PHONE_ID"]
    wa = WhatsApp(
        phone_id=phone_id,
        token=os.environ["WAGATE_KEY"],
        api_version="23.0",
        session=httpx.Client(transport=ToWagate(base), timeout=30),
    )
    out: dict = {}
    out["set"] = bool(wa.set_business_public_key(os.environ["PUBLIC_KEY"]))
    got = wa.api._request(method="GET", endpoint=f"/{phone_id}/whatsapp_business_encryption")
    out["get_key"] = got["data"][0]["business_public_key"]
    out["get_status"] = got["data"][0]["business_public_key_signature_status"]
    try:
        wa.set_business_public_key(RSA_1024)
        out["bad_key_error"] = "not refused"
    except WhatsAppError as e:
        out["bad_key_error"] = f"{e.code}: {e.message}"
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
