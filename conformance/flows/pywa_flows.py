"""Flows through the unmodified pywa library's own flow calls (conformance harness).

Run with the venv made by ``conformance/webhooks/setup.sh``:

    <cache>/venv/bin/python pywa_flows.py --base-url URL --token KEY --phone-id P --waba-id W

On a WABA with no flows yet it runs pywa's flow methods: ``create_flow`` (with
categories as enums), ``get_flow`` (every field pywa reads, the preview included),
``update_flow_metadata``, ``update_flow_json`` (a valid Flow JSON, then one with an
unknown component whose validation error names its line), ``get_flow_assets``,
``get_flows``, ``publish_flow``, ``send_message`` with a ``FlowButton``, refusals of a
published flow (``update_flow_json`` → 139001, ``delete_flow`` → 139004),
``deprecate_flow``, and ``create_flow``/``delete_flow`` of a draft, which is then unknown.

Every operation prints one JSON line: ``{"op", "ok", "detail"}``; the script exits 0
whatever happened, and the caller judges. pywa has no base-URL option: its ``session=``
gets an ``httpx.Client`` whose transport sends graph.facebook.com requests to wagate.
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
from pywa.types import FlowButton
from pywa.types.flows import FlowCategory, FlowStatus

FLOW_JSON = {
    "version": "6.0",
    "screens": [
        {
            "id": "WELCOME",
            "title": "Welcome",
            "layout": {"type": "SingleColumnLayout", "children": [
                {"type": "TextHeading", "text": "Join our club"},
                {"type": "Footer", "label": "Start", "on-click-action": {
                    "name": "navigate", "next": {"type": "screen", "name": "DETAILS"}, "payload": {}}},
            ]},
        },
        {
            "id": "DETAILS",
            "title": "Your details",
            "terminal": True,
            "layout": {"type": "SingleColumnLayout", "children": [
                {"type": "TextInput", "name": "email", "label": "Email", "required": True},
                {"type": "Footer", "label": "Done", "on-click-action": {"name": "complete", "payload": {}}},
            ]},
        },
    ],
}


def emit(op: str, ok: bool, detail) -> None:
    sys.stdout.write(json.dumps({"op": op, "ok": ok, "detail": detail}, default=str) + "\n")
    sys.stdout.flush()


def error_detail(e: BaseException) -> dict:
    if isinstance(e, WhatsAppError):
        return {"error": type(e).__name__, "code": e.code, "subcode": e.subcode,
                "message": e.message, "details": e.details}
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
                scheme=self._base.scheme, host=self._base.host, port=self._base.port,
                raw_path=prefix + request.url.raw_path)
            request.headers["Host"] = self._base.netloc.decode("ascii")
        return super().handle_request(request)


def step(op: str, fn) -> None:
    try:
        ok, detail = fn()
        emit(op, ok, detail)
    except Exception as e:  # noqa: BLE001 - report every failure
        emit(op, False, error_detail(e))


def refused(op: str, fn, code: int) -> None:
    try:
        result = fn()
        emit(op, False, {"not_refused": str(result)})
    except WhatsAppError as e:
        emit(op, e.code == code, error_detail(e))
    except Exception as e:  # noqa: BLE001
        emit(op, False, error_detail(e))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--base-url", default=os.environ.get("WAGATE_BASE_URL"))
    p.add_argument("--token", default=os.environ.get("WAGATE_API_KEY"))
    p.add_argument("--phone-id", default=os.environ.get("WAGATE_PHONE_NUMBER_ID"))
    p.add_argument("--waba-id", default=os.environ.get("WAGATE_WABA_ID"))
    p.add_argument("--user", default="16505551234")
    args = p.parse_args()
    wa = WhatsApp(
        phone_id=args.phone_id, token=args.token, waba_id=args.waba_id,
        api_version="23.0",
        session=httpx.Client(transport=ToWagate(args.base_url), timeout=30),
    )
    made: dict[str, str] = {}

    def create():
        res = wa.create_flow(name="pywa club", categories=[FlowCategory.SIGN_UP, FlowCategory.OTHER])
        made["id"] = res.id
        return bool(res.id) and res.id.isdigit() and not res.validation_errors, {"id": res.id}

    step("create_flow", create)
    if "id" not in made:
        return
    fid = made["id"]

    def get_draft():
        f = wa.get_flow(fid, invalidate_preview=False)
        ok = (f.name == "pywa club" and f.status == FlowStatus.DRAFT
              and FlowCategory.SIGN_UP in f.categories and f.preview is not None
              and f.preview.url.startswith(args.base_url) and f.updated_at is not None
              and f.whatsapp_business_account is not None
              and str(f.whatsapp_business_account.id) == str(args.waba_id))
        return ok, {"status": f.status, "preview": f.preview.url if f.preview else None}

    step("get_flow", get_draft)

    def update_meta():
        ok = wa.update_flow_metadata(fid, name="pywa club v2", categories=[FlowCategory.SURVEY],
                                     endpoint_uri="https://example.com/flow")
        f = wa.get_flow(fid)
        return bool(ok) and f.name == "pywa club v2" and f.categories == (FlowCategory.SURVEY,) \
            and f.endpoint_uri == "https://example.com/flow", {"name": f.name}

    step("update_flow_metadata", update_meta)

    def bad_json():
        bad = json.dumps(FLOW_JSON, indent=2).replace("TextHeading", "Marquee")
        res = wa.update_flow_json(fid, flow_json=bad)
        errs = res.validation_errors or ()
        line = next((i + 1 for i, l in enumerate(bad.splitlines()) if "Marquee" in l), None)
        ok = any(e.error == "UNKNOWN_COMPONENT" and e.line_start == line for e in errs)
        return ok, {"errors": [(e.error, e.line_start, e.column_start) for e in errs]}

    step("update_flow_json_invalid", bad_json)
    refused("publish_invalid", lambda: wa.publish_flow(fid), 139002)

    def good_json():
        res = wa.update_flow_json(fid, flow_json=json.dumps(FLOW_JSON, indent=2))
        return bool(res.success) and not res.validation_errors, {"success": res.success}

    step("update_flow_json", good_json)

    def assets():
        got = wa.get_flow_assets(fid)
        items = list(got)
        ok = len(items) == 1 and items[0].name == "flow.json" and items[0].url.startswith(args.base_url)
        if ok:
            body = httpx.get(items[0].url, timeout=30)
            ok = body.status_code == 200 and json.loads(body.text) == FLOW_JSON
        return ok, {"assets": [a.url for a in items]}

    step("get_flow_assets", assets)

    def listed():
        flows = list(wa.get_flows())
        return any(f.id == fid for f in flows), {"ids": [f.id for f in flows]}

    step("get_flows", listed)
    step("publish_flow", lambda: (bool(wa.publish_flow(fid)) and wa.get_flow(fid).status == FlowStatus.PUBLISHED, {}))

    def send():
        sent = wa.send_message(to=args.user, text="Join our club", buttons=FlowButton(
            title="Join", flow_id=fid, flow_token="tok-pywa", flow_action_type="navigate",
            flow_action_screen="WELCOME"))
        return bool(sent.id), {"wamid": sent.id}

    step("send_flow_button", send)
    refused("update_published_json", lambda: wa.update_flow_json(fid, flow_json=json.dumps(FLOW_JSON)), 139001)
    refused("delete_published", lambda: wa.delete_flow(fid), 139004)
    step("deprecate_flow", lambda: (bool(wa.deprecate_flow(fid)) and wa.get_flow(fid).status == FlowStatus.DEPRECATED, {}))
    refused("deprecate_again", lambda: wa.deprecate_flow(fid), 139003)

    def delete_draft():
        draft = wa.create_flow(name="pywa scratch", categories=[FlowCategory.OTHER])
        ok = bool(wa.delete_flow(draft.id))
        try:
            wa.get_flow(draft.id)
            return False, {"still_there": draft.id}
        except WhatsAppError as e:
            return ok and e.code == 100, error_detail(e)

    step("delete_flow", delete_draft)


if __name__ == "__main__":
    main()
