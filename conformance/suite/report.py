"""Judges a conformance-suite run and prints its report (conformance suite).

    python3 report.py --results DIR [--receiver pywa=URL] [--receiver wajs=URL] \
        [--areas a,b,…] [--pending FILE] [--wait SECONDS]

DIR holds each driver's stdout (``<lib>.jsonl``), stderr (``<lib>.stderr``) and exit status
(``<lib>.rc``), and ``setup.jsonl`` (run.sh's own records, e.g. the webhook subscriptions).
Each receiver URL is a webhook receiver's ``/received`` (``conformance/webhooks/``): the
``webhooks`` area is judged from what the library made of wagate's POSTs there, against
what the same library's driver sent and injected (see ``pywa_suite.py`` for the records).

Prints one line per operation, ``PASS <lib> <area> <op>`` or ``FAIL <lib> <area> <op>: <why>``,
then ``N passed, N failed`` last; exits 0 only when nothing failed.

``--areas`` counts only those areas (the others are not printed). With ``--areas``, the
operations listed in ``--pending`` (``<lib> <area> <op>`` per line, ``#`` comments: known
wagate gaps in otherwise implemented areas) are not counted either, unless they pass; a
note before the summary says how many were left out. Without ``--areas`` everything counts.

Stdlib only.
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.request
from collections import OrderedDict
from pathlib import Path

LIBS = ("pywa", "wajs", "kapso")
AREAS = ("messages", "read", "media", "templates", "profile", "phone", "qr", "block", "webhooks")
STATUS_KINDS = {"message", "callback_button", "callback_selection", "flow_completion", "status", "template_status"}


def one_line(s) -> str:
    return " ".join(str(s).split())


def read_driver(results: Path, lib: str):
    """(records, crash): the driver's JSON records, and why it failed as a process."""
    recs, crash = [], []
    path = results / f"{lib}.jsonl"
    if not path.exists():
        return recs, "did not run"
    for line in path.read_text(errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            recs.append(json.loads(line))
        except json.JSONDecodeError:
            crash.append(f"printed a non-JSON line: {line[:200]}")
    rc_path = results / f"{lib}.rc"
    rc = rc_path.read_text().strip() if rc_path.exists() else "?"
    if rc != "0":
        err = (results / f"{lib}.stderr").read_text(errors="replace") if (results / f"{lib}.stderr").exists() else ""
        tail = " | ".join(err.strip().splitlines()[-6:])
        crash.insert(0, f"exited {rc}: {tail[-800:]}")
    return recs, "; ".join(crash) or None


def fetch(url: str):
    with urllib.request.urlopen(url, timeout=10) as res:
        return json.loads(res.read())


def webhook_checks(lib: str, recs: list[dict], got: list[dict]) -> "OrderedDict[str, str | None]":
    """op -> None (fine) or what is wrong, for one receiver's records `got`."""
    checks: OrderedDict[str, str | None] = OrderedDict()
    checks["verify"] = None if any(r.get("kind") == "verify" for r in got) else "the library never answered wagate's verification GET"

    by_id: dict[str, list[dict]] = {}
    for r in got:
        if r.get("id") is not None:
            by_id.setdefault(str(r["id"]), []).append(r)

    inbound: OrderedDict[str, list[dict]] = OrderedDict()
    for r in recs:
        if "inbound" in r:
            inbound.setdefault(r.get("type") or "?", []).append(r)
    for typ, items in inbound.items():
        bad = []
        for it in items:
            seen = by_id.get(str(it["inbound"]), [])
            kinds = [s.get("kind") for s in seen]
            if it["expect"] not in kinds:
                bad.append(f"{it['inbound'][:24]}… reported as {kinds or 'nothing'}, not {it['expect']}")
        checks[f"receive:{typ}"] = "; ".join(bad) or None

    sent = [(r["sent"], r["op"]) for r in recs if r.get("sent")]
    for status in ("sent", "delivered", "read"):
        missing = [
            op for wamid, op in sent
            if not any(s.get("kind") == "status" and s.get("status") == status for s in by_id.get(wamid, []))
        ]
        checks[f"status:{status}"] = (
            f"no `{status}` status parsed for {len(missing)} of {len(sent)} messages: {', '.join(missing[:12])}"
            + (" …" if len(missing) > 12 else "")
            if missing else (None if sent else "no message was sent")
        )
    failed = [(r["failed_send"], r["op"]) for r in recs if r.get("failed_send")]
    if failed:
        bad = []
        for wamid, op in failed:
            st = [s for s in by_id.get(wamid, []) if s.get("kind") == "status"]
            if not any(s.get("status") == "failed" and isinstance(s.get("error_code"), int) for s in st):
                bad.append(f"{op}: {[(s.get('status'), s.get('error_code')) for s in st] or 'no status'}")
        checks["status:failed"] = "; ".join(bad) or None

    templates = [(str(r["template_created"]), r.get("name")) for r in recs if r.get("template_created")]
    if lib == "pywa" and templates:
        bad = []
        for tid, name in templates:
            st = [s for s in got if s.get("kind") == "template_status" and str(s.get("id")) == tid]
            if not any(s.get("event") == "APPROVED" for s in st):
                bad.append(f"{name} ({tid}): {[s.get('event') for s in st] or 'no update'}")
        checks["template_status"] = "; ".join(bad) or None

    odd = [r for r in got if r.get("kind") not in STATUS_KINDS | {"verify"}]
    checks["none_unhandled"] = (
        f"{len(odd)} updates not handled: "
        + "; ".join(one_line({k: v for k, v in r.items() if k != "lib"})[:300] for r in odd[:5])
        if odd else None
    )
    return checks


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--results", required=True)
    p.add_argument("--receiver", action="append", default=[], help="lib=URL of its /received")
    p.add_argument("--areas", default="")
    p.add_argument("--pending", default=None)
    p.add_argument("--wait", type=float, default=30.0, help="seconds to wait for the webhooks")
    args = p.parse_args()

    results = Path(args.results)
    areas = [a for a in args.areas.split(",") if a]
    unknown = [a for a in areas if a not in AREAS]
    if unknown:
        raise SystemExit(f"report: unknown areas {unknown}; known: {','.join(AREAS)}")
    pending: set[tuple[str, str, str]] = set()
    if areas and args.pending and Path(args.pending).exists():
        for line in Path(args.pending).read_text().splitlines():
            line = line.split("#", 1)[0].split()
            if len(line) == 3:
                pending.add(tuple(line))

    drivers = {lib: read_driver(results, lib) for lib in LIBS}
    setup = []
    if (results / "setup.jsonl").exists():
        setup = [json.loads(l) for l in (results / "setup.jsonl").read_text().splitlines() if l.strip()]

    # (lib, area, op, ok, why) in print order.
    ops: list[tuple[str, str, str, bool, str | None]] = []
    receivers = dict(r.split("=", 1) for r in args.receiver)
    want_webhooks = not areas or "webhooks" in areas

    # The webhooks arrive while the drivers' last messages are delivered and read: wait
    # until every check passes, or the deadline.
    webhook_ops: dict[str, OrderedDict] = {}
    if want_webhooks:
        deadline = time.monotonic() + args.wait
        while True:
            done = True
            for lib, url in receivers.items():
                try:
                    got = fetch(url)
                    webhook_ops[lib] = webhook_checks(lib, drivers[lib][0], got)
                except Exception as e:  # noqa: BLE001
                    webhook_ops[lib] = OrderedDict(received=f"GET {url}: {type(e).__name__}: {e}")
                done &= all(v is None for v in webhook_ops[lib].values())
            if done or time.monotonic() > deadline:
                break
            time.sleep(0.25)

    for lib in LIBS:
        recs, crash = drivers[lib]
        if crash:
            ops.append((lib, "suite", "driver", False, crash))
        for r in recs:
            if "op" in r and "area" in r:
                ops.append((lib, r["area"], r["op"], bool(r["ok"]), r.get("why")))
        for r in setup:
            if r.get("lib") == lib and "op" in r:
                ops.append((lib, r["area"], r["op"], bool(r["ok"]), r.get("why")))
        for op, why in webhook_ops.get(lib, {}).items():
            ops.append((lib, "webhooks", op, why is None, why))

    passed = failed = left_pending = left_area = 0
    stale = []
    for lib, area, op, ok, why in ops:
        if areas and area not in areas and area != "suite":
            left_area += 1
            continue
        if (lib, area, op) in pending:
            if ok:
                stale.append(f"{lib} {area} {op}")
            else:
                left_pending += 1
                continue
        if ok:
            passed += 1
            print(f"PASS {lib} {area} {op}")
        else:
            failed += 1
            print(f"FAIL {lib} {area} {op}: {one_line(why or 'failed')}")
    if areas:
        print(
            f"note: counted areas {','.join(areas)}; not counted: {left_area} operations of other areas"
            f" and {left_pending} known gaps listed in {Path(args.pending).name if args.pending else 'no file'}"
        )
    for s in stale:
        print(f"note: `{s}` passes now: remove it from the pending list")
    print(f"{passed} passed, {failed} failed", flush=True)
    raise SystemExit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
