"""Groups through the unmodified pywa library's own group calls (conformance harness).

Run with the venv made by ``conformance/webhooks/setup.sh``:

    <cache>/venv/bin/python pywa_groups.py --base-url URL --token KEY --phone-id P

(or the environment variables WAGATE_BASE_URL, WAGATE_API_KEY, WAGATE_PHONE_NUMBER_ID).
It creates a group needing approval with ``WhatsApp.create_group`` (a request id), finds
it with ``WhatsApp.get_groups``, reads it with ``WhatsApp.get_group``, gets its link with
``WhatsApp.get_group_invite_link``; two virtual users open the link (the sandbox plane, as
the harness, not pywa); their requests are listed with ``WhatsApp.get_group_join_requests``,
one approved with ``GroupJoinRequest.approve``, one rejected with
``WhatsApp.reject_group_join_requests``; a text goes to the group with
``WhatsApp.send_message``; the participant is removed with
``WhatsApp.remove_group_participants``; the link is reset with
``WhatsApp.reset_group_invite_link``; the group is deleted with ``WhatsApp.delete_group``,
and then unknown (131041); a 129-character subject is refused (131009).

Every operation prints one JSON line: ``{"op", "ok", "detail"}``; the script exits 0
whatever happened; the caller judges. pywa 4.5.0 has no base-URL option: see
``conformance/qr/pywa_qr.py`` for the transport that sends graph.facebook.com to wagate.
pywa's ``update_group_settings`` always uploads a profile picture (multipart), which the
sandbox does not take, so it is not called.
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
from pywa.types.groups import GroupJoinApprovalMode


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
    sandbox = httpx.Client(
        base_url=args.base_url, headers={"Authorization": f"Bearer {args.token}"}, timeout=30
    )
    state: dict = {}

    def create():
        op = wa.create_group(
            subject="pywa club",
            description="Made by pywa",
            join_approval_mode=GroupJoinApprovalMode.APPROVAL_REQUIRED,
        )
        return isinstance(op.request_id, str) and len(op.request_id) > 0, op.request_id

    step("create_group", create)

    def get_groups():
        groups = [g for g in wa.get_groups() if g.subject == "pywa club"]
        if groups:
            state["group"] = groups[0].id
        return len(groups) == 1, [g.id for g in groups]

    step("get_groups", get_groups)
    if "group" not in state:
        return
    group = state["group"]

    def get_group():
        g = wa.get_group(group)
        ok = (
            g.id == group
            and g.subject == "pywa club"
            and g.description == "Made by pywa"
            and g.join_approval_mode == GroupJoinApprovalMode.APPROVAL_REQUIRED
            and g.total_participant_count == 0
            and not g.suspended
        )
        return ok, {"subject": g.subject, "created": g.creation_timestamp}

    step("get_group", get_group)

    def invite():
        link = wa.get_group_invite_link(group)
        state["link"] = link.link
        return link.link.startswith("https://chat.whatsapp.com/"), link.link

    step("get_group_invite_link", invite)

    def users_ask():
        answers = []
        for user in ("15550500001", "15550500002"):
            r = sandbox.post(
                f"/sandbox/{args.phone_id}/groups/join",
                json={"invite_link": state["link"], "from": user},
            )
            answers.append(r.json())
        return all(a.get("status") == "requested" for a in answers), answers

    step("users_ask_to_join", users_ask)

    def join_requests():
        requests = list(wa.get_group_join_requests(group))
        state["requests"] = requests
        users = [r.user.wa_id for r in requests]
        return users == ["15550500001", "15550500002"], users

    step("get_group_join_requests", join_requests)
    requests = state.get("requests", [])
    if len(requests) == 2:
        step("approve", lambda: (bool(requests[0].approve().request_id), requests[0].id))
        step(
            "reject_group_join_requests",
            lambda: (
                bool(wa.reject_group_join_requests(group, [requests[1].id]).request_id),
                requests[1].id,
            ),
        )

    def participants():
        g = wa.get_group(group)
        users = [p.wa_id for p in g.participants]
        return users == ["15550500001"] and g.total_participant_count == 1, users

    step("participants_after_approval", participants)

    def send():
        sent = wa.send_message(to=group, text="Hello, group!")
        return sent.id.startswith("wamid."), sent.id

    step("send_message_to_group", send)

    def remove():
        op = wa.remove_group_participants(group, ["15550500001"])
        g = wa.get_group(group)
        return bool(op.request_id) and g.total_participant_count == 0, op.request_id

    step("remove_group_participants", remove)

    def reset():
        link = wa.reset_group_invite_link(group)
        return link.link != state["link"] and link.link.startswith("https://chat.whatsapp.com/"), link.link

    step("reset_group_invite_link", reset)
    step("delete_group", lambda: (bool(wa.delete_group(group).request_id), group))
    refused("get_deleted_group", lambda: wa.get_group(group), 131041)
    refused("create_too_long", lambda: wa.create_group(subject="x" * 129), 131009)


if __name__ == "__main__":
    main()
