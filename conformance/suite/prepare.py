"""Prepares a fresh wagate for the conformance suite, through wagate's management API.

    python3 prepare.py channels --base-url URL --token KEY
    python3 prepare.py subscribe --base-url URL --token KEY --lib pywa --url HOOK \
        --channel-id ID --secret S --verify-token V [--field F ...]

``channels`` creates one sandbox channel per library (``POST /api/v1/channels``), gives each
short delays and no pair-rate pacing (``PATCH /api/v1/channels/{id}``: the drivers send
dozens of messages to one user at once) and prints shell assignments:
``<LIB>_CHANNEL``, ``<LIB>_PHONE``, ``<LIB>_WABA`` for pywa, wajs and kapso, and
``SOURCE_WABA`` (the first-start channel's WABA, another WABA of the same account).

``subscribe`` subscribes a receiver (``POST /api/v1/webhooks``; wagate verifies the URL with
the hub.challenge GET first) and prints one suite record (JSON line) for the ``webhooks``
area: ``{"lib","area":"webhooks","op":"subscribe","ok","why"}``.

Stdlib only.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request

SANDBOX = {
    "delivery_delay_ms": 50,
    "read_delay_ms": 50,
    "reply_delay_ms": 50,
    "read_percent": 100,
    "pair_burst": 1000,
    "pair_interval_ms": 10,
    # A number that is not on WhatsApp: its messages fail (131026), for a failed status.
    "not_on_whatsapp": ["15550009999"],
}


def call(base: str, token: str, method: str, path: str, body=None) -> tuple[int, str]:
    req = urllib.request.Request(
        base.rstrip("/") + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, res.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def channels(args) -> None:
    status, text = call(args.base_url, args.token, "GET", "/api/v1/channels")
    if status != 200:
        sys.exit(f"prepare: GET /api/v1/channels -> {status} {text}")
    first = json.loads(text)["data"][0]
    print(f"SOURCE_WABA={first['waba_id']}")
    for lib in ("pywa", "wajs", "kapso"):
        status, text = call(
            args.base_url, args.token, "POST", "/api/v1/channels", {"verified_name": f"{lib} Suite"}
        )
        if status != 201:
            sys.exit(f"prepare: POST /api/v1/channels -> {status} {text}")
        ch = json.loads(text)
        status, text = call(
            args.base_url,
            args.token,
            "PATCH",
            f"/api/v1/channels/{ch['id']}",
            {"upstream": {"kind": "sandbox", "sandbox": SANDBOX}},
        )
        if status != 200:
            sys.exit(f"prepare: PATCH /api/v1/channels/{ch['id']} -> {status} {text}")
        up = lib.upper()
        print(f"{up}_CHANNEL={ch['id']}")
        print(f"{up}_PHONE={ch['phone_number_id']}")
        print(f"{up}_WABA={ch['waba_id']}")


def subscribe(args) -> None:
    body = {
        "url": args.url,
        "secret": args.secret,
        "verify_token": args.verify_token,
        "channel_id": args.channel_id,
    }
    if args.field:
        body["fields"] = args.field
    status, text = call(args.base_url, args.token, "POST", "/api/v1/webhooks", body)
    rec = {"lib": args.lib, "area": "webhooks", "op": "subscribe", "ok": status == 201}
    if status != 201:
        rec["why"] = f"POST /api/v1/webhooks -> {status} {text[:400]}"
    print(json.dumps(rec))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("channels", "subscribe"):
        s = sub.add_parser(name)
        s.add_argument("--base-url", required=True)
        s.add_argument("--token", required=True)
        if name == "subscribe":
            s.add_argument("--lib", required=True)
            s.add_argument("--url", required=True)
            s.add_argument("--channel-id", required=True)
            s.add_argument("--secret", required=True)
            s.add_argument("--verify-token", required=True)
            s.add_argument("--field", action="append")
    args = p.parse_args()
    {"channels": channels, "subscribe": subscribe}[args.cmd](args)


if __name__ == "__main__":
    main()
