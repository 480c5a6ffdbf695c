#!/usr/bin/env bash
# Schemathesis over wagate's whole management API (/api/v1), with every check, positive and
# negative data, and the stateful phase (OpenAPI links: create channels, keys and webhooks,
# then read, change and delete them), against a real `wagate serve` on a temporary data dir
# (SQLite, simulated network), authenticated with the admin key first start writes to
# <data-dir>/credentials.env. Exits non-zero on any failure.
#
#   usage: conformance/fuzz/run.sh [--quick|--long] [-- extra schemathesis args]
#     --quick  (default) a few examples per operation and a short stateful phase: CI
#     --long   many examples per operation and a longer stateful phase: local runs
#
# Installs schemathesis (pinned, PyPI) into conformance/fuzz/.venv (gitignored) on first use.
# Uses the debug `wagate` binary (built if missing) unless WAGATE_BIN names one.
# WAGATE_FUZZ_SEED fixes the seed (default 1, so CI runs are repeatable).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SCHEMATHESIS_VERSION=4.32.5

MODE=quick
EXTRA=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) MODE=quick ;;
    --long) MODE=long ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

# ---- schemathesis ----------------------------------------------------------------------
VENV="$HERE/.venv"
if [[ ! -x "$VENV/bin/schemathesis" ]] \
   || [[ "$("$VENV/bin/schemathesis" --version 2>/dev/null)" != *"$SCHEMATHESIS_VERSION"* ]]; then
  PY="${PYTHON:-}"
  if [[ -z "$PY" ]]; then
    for c in python3.11 python3.12 python3; do command -v "$c" >/dev/null 2>&1 && { PY="$c"; break; }; done
  fi
  [[ -n "$PY" ]] || { echo "run.sh: python3 not found" >&2; exit 1; }
  [[ -x "$VENV/bin/python" ]] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "schemathesis==$SCHEMATHESIS_VERSION" >&2
fi

# ---- wagate ----------------------------------------------------------------------------
BIN="${WAGATE_BIN:-}"
if [[ -z "$BIN" ]]; then
  TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
  (cd "$ROOT" && cargo build -p wagate --quiet)
  BIN="$TARGET/debug/wagate"
fi

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# A loopback receiver that passes webhook verification (see hooks.py).
"$VENV/bin/python" "$HERE/receiver.py" "$WORK/receiver.port" &
PIDS+=($!)

PORT="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
# Webhook URLs on loopback are the receiver above: private targets allowed (issue 16's
# outbound guard; an unknown variable is ignored by builds without it).
WAGATE_ALLOW_PRIVATE_NETWORKS=1 WAGATE_LOG="${WAGATE_LOG:-warn}" "$BIN" serve --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" \
  >"$WORK/wagate.log" 2>&1 &
PIDS+=($!)

for _ in $(seq 1 300); do
  [[ -f "$WORK/data/credentials.env" && -s "$WORK/receiver.port" ]] \
    && curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null || { cat "$WORK/wagate.log" >&2; exit 1; }
# shellcheck disable=SC1091
. "$WORK/data/credentials.env"
export WAGATE_FUZZ_RECEIVER="http://127.0.0.1:$(cat "$WORK/receiver.port")/webhook"

# Something for the links to find: a subscription, then a message each way, so the lists of
# messages and deliveries are not empty (schemathesis follows them to the single objects).
BASE="http://127.0.0.1:$PORT"
api() { curl -fsS -o /dev/null -H "Authorization: Bearer $WAGATE_API_KEY" -H 'Content-Type: application/json' "$@"; }
api -d "{\"url\":\"$WAGATE_FUZZ_RECEIVER\",\"secret\":\"fuzz-secret\",\"verify_token\":\"fuzz\"}" "$BASE/api/v1/webhooks"
api -d '{"from":"16505551234","type":"text","text":{"body":"Hi"}}' "$BASE/sandbox/$WAGATE_PHONE_NUMBER_ID/inbound"
api -d '{"messaging_product":"whatsapp","to":"+16505551234","type":"text","text":{"body":"Hello"}}' \
  "$BASE/v23.0/$WAGATE_PHONE_NUMBER_ID/messages"

if [[ "$MODE" == quick ]]; then
  LIMITS=(--max-examples 15 --workers 2)
else
  LIMITS=(--max-examples 300 --workers 2)
fi

echo "fuzz: schemathesis $SCHEMATHESIS_VERSION ($MODE) against wagate on 127.0.0.1:$PORT" >&2
# The provider dialects (`/compat/…`) are listed in the document by path and credential
# only (their bodies are the providers' shapes, documented by their seeds): each is tested
# by replaying its seed's examples and bad inputs (crates/cli/tests/api/<dialect>/).
set +e
SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$HERE" "$VENV/bin/schemathesis" \
  --config-file "$HERE/schemathesis.toml" \
  run "http://127.0.0.1:$PORT/openapi.json" \
  --checks all \
  --mode all \
  --phases examples,coverage,fuzzing,stateful \
  --seed "${WAGATE_FUZZ_SEED:-1}" \
  --header "Authorization: Bearer $WAGATE_API_KEY" \
  --request-timeout 10 \
  --suppress-health-check all \
  --exclude-path-regex '^/compat/' \
  --report junit --report-dir "$WORK/report" \
  "${LIMITS[@]}" "${EXTRA[@]}" 2>&1 | tee "$WORK/schemathesis.log"
STATUS=${PIPESTATUS[0]}
set -e

if [[ $STATUS -ne 0 ]]; then
  echo "fuzz: schemathesis failed ($STATUS); wagate's log:" >&2
  tail -n 50 "$WORK/wagate.log" >&2
fi
# Whatever schemathesis did, wagate must still be up and must not have logged an internal error.
curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "fuzz: wagate died" >&2; STATUS=1; }
if grep -q '"internal_error"\|request failed' "$WORK/wagate.log"; then
  echo "fuzz: wagate logged internal errors" >&2
  grep '"internal_error"\|request failed' "$WORK/wagate.log" | head -n 20 >&2
  STATUS=1
fi
# One plain line for CI logs: test cases passed and failed.
CASES="$(grep -E '[0-9]+ generated, ' "$WORK/schemathesis.log" | tail -n 1 || true)"
PASSED="$(sed -nE 's/.* ([0-9]+) passed.*/\1/p' <<<"$CASES")"
FAILED="$(sed -nE 's/.* found ([0-9]+) unique failures?.*/\1/p' <<<"$CASES")"
if [[ $STATUS -ne 0 && -z "$FAILED" ]]; then FAILED=1; fi
echo "schemathesis: ${PASSED:-0} passed, ${FAILED:-0} failed"
exit $STATUS
