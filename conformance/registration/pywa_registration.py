"""Phone numbers and their registration through the unmodified pywa library (conformance harness).

Run with the venv made by ``conformance/webhooks/setup.sh``:

    <cache>/venv/bin/python pywa_registration.py --base-url URL --token KEY \
        --waba-id W --phone-id P [--to +15551230001]

(or the environment variables WAGATE_BASE_URL, WAGATE_API_KEY, WAGATE_WABA_ID,
WAGATE_PHONE_NUMBER_ID). The number must be a fresh sandbox number; the script
ends with its registration blocked (it runs into the 10-per-72-hours limit).

pywa's own calls, in order:

- ``get_business_phone_number`` (every field pywa's ``BusinessPhoneNumber`` asks for) and
  ``get_business_phone_numbers`` (the WABA's numbers, one per page, following ``next``);
- ``request_verification_code`` (SMS, ``en``); the code is read from wagate's sandbox
  (``GET /sandbox/{phone_number_id}/verification_code``, plain httpx: no SMS leaves the
  sandbox); ``verify_phone_number`` with a wrong code (refused, 136025) and the right one;
- ``register_phone_number`` with a PIN and a data region, then with a wrong PIN (133005);
- ``update_display_name`` (the number then shows ``new_name_status`` PENDING_REVIEW);
- ``deregister_phone_number``; ``send_message`` from the deregistered number (133010);
  ``register_phone_number`` again, and ``send_message`` works;
- ``register_phone_number`` until refused: pywa raises its own
  ``RegistrationOrDeregistrationFailed`` (133016).

Every operation prints one JSON line: ``{"op", "ok", "detail"}``; ``ok`` means "behaved as
a client would expect" (for the refusals: the library raised the expected error). The
script exits 0 whatever happened; the caller judges.

pywa 4.5.0 has no base-URL option: ``GraphAPI.__init__`` sets the httpx session's
``base_url`` to ``https://graph.facebook.com/v{api_version}``. The documented ``session=``
argument takes any ``httpx.Client``, so the script passes one whose transport sends
requests for graph.facebook.com to wagate. Other hosts (the ``next`` links wagate returns
are already on wagate's host) are left alone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback

import httpx
from pywa import WhatsApp
from pywa.errors import RegistrationOrDeregistrationFailed, WhatsAppError
from pywa.types.others import BusinessPhoneNumber, Pagination

PIN = "246810"


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


def number_detail(n: BusinessPhoneNumber) -> dict:
    return {
        "id": n.id,
        "verified_name": n.verified_name,
        "display_phone_number": n.display_phone_number,
        "status": n.status,
        "platform_type": n.platform_type,
        "code_verification_status": n.code_verification_status,
        "name_status": n.name_status,
        "new_name_status": n.new_name_status,
        "account_mode": n.account_mode,
        "is_pin_enabled": n.is_pin_enabled,
        "quality_rating": n.quality_rating,
        "throughput": n.throughput,
        "health_status": n.health_status,
        "country_code": n.country_code,
        "country_dial_code": n.country_dial_code,
        "messaging_limit": n.whatsapp_business_manager_messaging_limit,
        "last_onboarded_time": n.last_onboarded_time,
        "conversational_automation": n.conversational_automation is not None,
    }


def expect_error(op: str, code: int, call) -> None:
    """Runs ``call``, which must raise a WhatsAppError with ``code``."""
    try:
        result = call()
        emit(op, False, {"unexpected_success": result})
    except WhatsAppError as e:
        emit(op, e.code == code, error_detail(e))
    except Exception as e:  # noqa: BLE001 - report every failure
        emit(op, False, error_detail(e))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--base-url", default=os.environ.get("WAGATE_BASE_URL"))
    p.add_argument("--token", default=os.environ.get("WAGATE_API_KEY"))
    p.add_argument("--waba-id", default=os.environ.get("WAGATE_WABA_ID"))
    p.add_argument("--phone-id", default=os.environ.get("WAGATE_PHONE_NUMBER_ID"))
    p.add_argument("--to", default="+15551230001")
    args = p.parse_args()
    missing = [k for k in ("base_url", "token", "waba_id", "phone_id") if not getattr(args, k)]
    if missing:
        p.error(f"missing {', '.join(missing)}")

    wa = WhatsApp(
        phone_id=args.phone_id,
        token=args.token,
        waba_id=args.waba_id,
        api_version="23.0",
        session=httpx.Client(transport=ToWagate(args.base_url), timeout=30),
    )
    sandbox = httpx.Client(
        base_url=args.base_url, headers={"Authorization": f"Bearer {args.token}"}, timeout=30
    )

    # 1. Read the number, and the WABA's numbers one page at a time.
    try:
        n = wa.get_business_phone_number()
        emit(
            "get_number",
            n.id == args.phone_id
            and n.account_mode == "SANDBOX"
            and n.status == "CONNECTED"
            and n.code_verification_status == "VERIFIED"
            and n.is_pin_enabled is False,
            number_detail(n),
        )
    except Exception as e:  # noqa: BLE001
        emit("get_number", False, error_detail(e))
    try:
        page = wa.get_business_phone_numbers(pagination=Pagination(limit=1))
        ids = [x.id for x in page]
        pages = 1
        while page.has_next:
            page = page.next()
            ids += [x.id for x in page]
            pages += 1
        emit("list_numbers", args.phone_id in ids and len(ids) == len(set(ids)),
             {"ids": ids, "pages": pages})
    except Exception as e:  # noqa: BLE001
        emit("list_numbers", False, error_detail(e))

    # 2. Verification: request a code, guess wrong, then send the right one back.
    try:
        r = wa.request_verification_code(code_method="SMS", language_code="en")
        emit("request_code", bool(r), {"success": bool(r)})
    except Exception as e:  # noqa: BLE001
        emit("request_code", False, error_detail(e))
    code = None
    try:
        res = sandbox.get(f"/sandbox/{args.phone_id}/verification_code")
        code = res.json().get("code")
        emit("read_code", res.status_code == 200 and bool(code), res.json())
    except Exception as e:  # noqa: BLE001
        emit("read_code", False, error_detail(e))
    wrong = "000000" if code != "000000" else "111111"
    expect_error("verify_wrong_code", 136025, lambda: wa.verify_phone_number(code=wrong))
    try:
        r = wa.verify_phone_number(code=code or "")
        n = wa.get_business_phone_number()
        emit("verify_code", bool(r) and n.code_verification_status == "VERIFIED",
             number_detail(n))
    except Exception as e:  # noqa: BLE001
        emit("verify_code", False, error_detail(e))

    # 3. Register with a PIN (it becomes the two-step PIN), then with a wrong one.
    try:
        r = wa.register_phone_number(pin=PIN, data_localization_region="US")
        n = wa.get_business_phone_number()
        emit("register", bool(r) and n.is_pin_enabled is True, number_detail(n))
    except Exception as e:  # noqa: BLE001
        emit("register", False, error_detail(e))
    expect_error("register_wrong_pin", 133005, lambda: wa.register_phone_number(pin="135790"))

    # 4. A new display name waits in review.
    try:
        r = wa.update_display_name(new_display_name="pywa Renamed")
        n = wa.get_business_phone_number()
        emit("update_display_name", bool(r) and n.new_name_status == "PENDING_REVIEW",
             number_detail(n))
    except Exception as e:  # noqa: BLE001
        emit("update_display_name", False, error_detail(e))

    # 5. Deregistered numbers cannot send; registered again, they can.
    try:
        r = wa.deregister_phone_number()
        n = wa.get_business_phone_number()
        emit("deregister", bool(r) and n.status == "PENDING"
             and n.platform_type == "NOT_APPLICABLE", number_detail(n))
    except Exception as e:  # noqa: BLE001
        emit("deregister", False, error_detail(e))
    expect_error("send_deregistered", 133010,
                 lambda: wa.send_message(to=args.to, text="from a deregistered number"))
    try:
        r = wa.register_phone_number(pin=PIN)
        sent = wa.send_message(to=args.to, text="registered again")
        emit("register_again_and_send", bool(r) and sent.id.startswith("wamid."),
             {"id": sent.id})
    except Exception as e:  # noqa: BLE001
        emit("register_again_and_send", False, error_detail(e))

    # 6. The register limit: pywa's own error class for 133016.
    calls = 0
    try:
        while calls < 20:
            calls += 1
            wa.register_phone_number(pin=PIN)
        emit("register_limit", False, {"calls": calls, "error": "never refused"})
    except RegistrationOrDeregistrationFailed as e:
        emit("register_limit", e.code == 133016, {"calls": calls, **error_detail(e)})
    except Exception as e:  # noqa: BLE001
        emit("register_limit", False, {"calls": calls, **error_detail(e)})


if __name__ == "__main__":
    main()
