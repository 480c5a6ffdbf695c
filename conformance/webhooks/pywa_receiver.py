"""Webhook receiver built on the unmodified pywa library (conformance harness).

Run with the venv made by setup.sh:

    <cache>/venv/bin/python pywa_receiver.py --port P --phone-id ID --token T \
        --app-secret S --verify-token V [--host 127.0.0.1] [--waba-id W]

Every webhook POST goes through pywa's own signature check
(``WhatsApp.webhook_update_validator``) and dispatcher
(``WhatsApp.webhook_update_handler``); the verification GET goes through
``WhatsApp.webhook_challenge_handler``. Each outcome is recorded as one JSON
line on stdout and kept for ``GET /received`` (a JSON array of all records).

The first stdout line is ``{"lib":"pywa","kind":"listening","port":N}``
(not part of /received), so ``--port 0`` can be used.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from pywa import WhatsApp, types, utils

LIB = "pywa"

_records: list[dict] = []
_records_lock = threading.Lock()
# pywa dispatches synchronously inside webhook_update_handler; one POST at a
# time keeps the per-request bookkeeping below simple and exact.
_dispatch_lock = threading.Lock()
_current: dict = {}  # per-POST state, guarded by _dispatch_lock


def record(rec: dict) -> None:
    rec = {"lib": LIB, **{k: v for k, v in rec.items() if v is not None}}
    with _records_lock:
        _records.append(rec)
    sys.stdout.write(json.dumps(rec) + "\n")
    sys.stdout.flush()


_DEBUG_REASONS = ("Filtered out", "No handler resolved", "Skipped duplicate", "Unrecognized")


class _Capture(logging.Handler):
    """Collects pywa's own log messages for the POST being processed, so an
    'unhandled' record can say why pywa dropped the update."""

    def emit(self, rec: logging.LogRecord) -> None:
        logs = _current.get("logs")
        if logs is None:
            return
        try:
            msg = rec.getMessage()
        except Exception:  # pragma: no cover
            msg = str(rec.msg)
        # pywa's update logger prefixes "[<hash>] [<endpoint>] "; drop it
        msg = re.sub(r"^(\[[^\]]*\] )+", "", msg)
        if rec.levelno < logging.WARNING and not msg.startswith(_DEBUG_REASONS):
            return
        if rec.exc_info and rec.exc_info[1] is not None:
            exc = rec.exc_info[1]
            msg += f" [{type(exc).__name__}: {exc}]"
        logs.append(msg)


def _str(v):
    if v is None:
        return None
    return getattr(v, "value", v) if not isinstance(v, str) else v


def _user(u) -> dict:
    if u is None:
        return {}
    return {"from": getattr(u, "wa_id", None), "user_id": getattr(u, "bsuid", None)}


def _base(update) -> dict:
    md = getattr(update, "metadata", None)
    return {
        "id": getattr(update, "id", None),
        "waba_id": getattr(update, "waba_id", None),
        "phone_id": getattr(md, "phone_number_id", None) if md else None,
        **_user(getattr(update, "from_user", None)),
    }


def _handled(kind: str, update, **extra) -> None:
    _current["handled"] = True
    rec = {"kind": kind, **_base(update), **extra}
    t = getattr(update, "type", None)
    if t is not None and "type" not in rec:
        rec["type"] = _str(t)
    record(rec)


def build_client(args) -> WhatsApp:
    wa = WhatsApp(
        phone_id=args.phone_id,
        token=args.token,
        server=None,
        app_secret=args.app_secret,
        verify_token=args.verify_token,
        validate_updates=True,
        waba_id=args.waba_id,
    )

    @wa.on_message
    def _on_message(_, msg: types.Message):
        _handled("message", msg, text=getattr(msg, "text", None))

    @wa.on_callback_button
    def _on_button(_, btn: types.CallbackButton):
        _handled("callback_button", btn, data=_str(getattr(btn, "data", None)))

    @wa.on_callback_selection
    def _on_selection(_, sel: types.CallbackSelection):
        _handled("callback_selection", sel, data=_str(getattr(sel, "data", None)))

    @wa.on_message_status
    def _on_status(_, st: types.MessageStatus):
        err = getattr(st, "error", None)
        _handled(
            "status",
            st,
            status=_str(st.status),
            error_code=getattr(err, "code", None) if err else None,
            pricing_category=_str(getattr(getattr(st, "pricing", None), "category", None)),
        )

    @wa.on_template_status_update
    def _on_template_status(_, upd: types.TemplateStatusUpdate):
        _handled(
            "template_status",
            upd,
            id=getattr(upd, "template_id", None),
            template_name=getattr(upd, "template_name", None),
            event=_str(getattr(upd, "new_status", None)),
        )

    @wa.on_flow_completion
    def _on_flow_completion(_, fc: types.FlowCompletion):
        _handled("flow_completion", fc, flow_token=getattr(fc, "token", None))

    @wa.on_raw_update
    def _on_raw(_, raw: types.RawUpdate):
        # pywa calls raw-update handlers last, for every update.
        _current["raw_seen"] = True
        if _current.get("handled"):
            return
        field = value = None
        try:
            field = raw.field
            value = raw.value
        except Exception:
            pass
        rec = {"kind": "unhandled", "field": field, "waba_id": _safe(lambda: raw.id)}
        if isinstance(value, dict):
            rec["phone_id"] = _safe(lambda: value["metadata"]["phone_number_id"])
            if value.get("messages"):
                m = value["messages"][0]
                rec.update(id=m.get("id"), type=m.get("type"), **{"from": m.get("from")})
            elif value.get("statuses"):
                s = value["statuses"][0]
                rec.update(id=s.get("id"), status=s.get("status"))
        rec["reason"] = "; ".join(_current.get("logs") or []) or "no handler matched"
        record(rec)

    return wa


def _safe(f):
    try:
        return f()
    except Exception:
        return None


def make_handler(wa: WhatsApp):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):  # keep stdout for records only
            if self.path.startswith("/received"):
                return
            sys.stderr.write("pywa_receiver: " + (fmt % a) + "\n")

        def _send(self, code: int, body: str | bytes, ctype: str = "text/plain") -> None:
            data = body.encode() if isinstance(body, str) else body
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urlsplit(self.path)
            if url.path == "/received":
                with _records_lock:
                    data = json.dumps(_records)
                return self._send(200, data, "application/json")
            q = parse_qs(url.query)
            vt = q.get(utils.HUB_VT, [None])[0]
            ch = q.get(utils.HUB_CH, [None])[0]
            body, code = wa.webhook_challenge_handler(vt=vt, ch=ch)
            record({"kind": "verify", "code": code, "challenge": ch} if code == 200
                   else {"kind": "rejected", "code": code, "reason": "verify_token"})
            self._send(code, body or "")

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n)
            sig = self.headers.get(utils.HUB_SIG)
            with _dispatch_lock:
                err = wa.webhook_update_validator(body, sig)
                if err is not None:
                    msg, code = err
                    record({"kind": "rejected", "code": code, "reason": msg})
                    return self._send(code, msg)
                _current.clear()
                _current.update(handled=False, raw_seen=False, logs=[])
                try:
                    resp, code = wa.webhook_update_handler(body)
                except Exception as e:  # pywa should not raise; record if it does
                    traceback.print_exc()
                    resp, code = f"{type(e).__name__}: {e}", 500
                state = dict(_current)
                _current.clear()
            if code != 200:
                record({"kind": "rejected", "code": code, "reason": resp})
            elif not state["handled"] and not state["raw_seen"]:
                # pywa answered 200 without dispatching: duplicate update skipped
                record({"kind": "duplicate", "reason": "; ".join(state["logs"])})
            self._send(code, resp or "")

    return H


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--phone-id", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--app-secret", required=True)
    p.add_argument("--verify-token", required=True)
    p.add_argument("--waba-id", default=None, help="if set, pywa also drops updates whose entry[0].id differs")
    args = p.parse_args()

    pywa_log = logging.getLogger("pywa")
    pywa_log.setLevel(logging.DEBUG)
    pywa_log.addHandler(_Capture(logging.DEBUG))
    to_stderr = logging.StreamHandler(sys.stderr)
    to_stderr.setLevel(logging.WARNING)
    pywa_log.addHandler(to_stderr)
    pywa_log.propagate = False

    wa = build_client(args)
    srv = ThreadingHTTPServer((args.host, args.port), make_handler(wa))
    srv.daemon_threads = True
    sys.stdout.write(json.dumps({"lib": LIB, "kind": "listening", "port": srv.server_address[1]}) + "\n")
    sys.stdout.flush()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
