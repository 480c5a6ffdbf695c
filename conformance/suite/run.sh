#!/usr/bin/env bash
# wagate's conformance suite: the unmodified pywa (PyPI), whatsapp-api-js and
# @kapso/whatsapp-cloud-api (npm) clients against a real `wagate serve`, every operation
# they offer in the suite's areas, and wagate's webhooks received by pywa's and
# whatsapp-api-js's own handlers. See README.md next to this file.
#
#   conformance/suite/run.sh [--wagate BIN] [--areas a,b,...] [--keep]
#
#   --wagate BIN  the wagate binary (default: target/release/wagate if present, else
#                 target/debug/wagate, built with `cargo build -p wagate` if missing;
#                 target/ is $CARGO_TARGET_DIR when set)
#   --areas LIST  count only these areas (messages,read,media,templates,profile,phone,qr,
#                 block,webhooks) and leave out the known gaps listed in pending.txt;
#                 default: everything counts
#   --keep        keep the work directory (wagate's data and log, the drivers' output)
#
# Prints one line per operation (`PASS <lib> <area> <op>` / `FAIL <lib> <area> <op>: <why>`)
# and `N passed, N failed` last; exits 0 only when nothing failed. Needs bash, python3
# (with venv) and node with npm; $WAGATE_SDK_CACHE (default /tmp/wagate-sdk) caches the
# libraries.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WAGATE_BIN=""
AREAS=""
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --wagate) WAGATE_BIN="$2"; shift 2 ;;
    --wagate=*) WAGATE_BIN="${1#*=}"; shift ;;
    --areas) AREAS="$2"; shift 2 ;;
    --areas=*) AREAS="${1#*=}"; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
log() { echo "suite: $*" >&2; }

# 1. The libraries (pinned, cached; a no-op once installed).
SETUP_OUT="$(bash "$ROOT/conformance/webhooks/setup.sh" "${WAGATE_SDK_CACHE:-/tmp/wagate-sdk}")"
PY="$(sed -n 's/^VENV_PYTHON=//p' <<<"$SETUP_OUT")"
NODE_MODULES="$(sed -n 's/^NODE_MODULES=//p' <<<"$SETUP_OUT")"
[[ -x "$PY" && -d "$NODE_MODULES" ]] || { echo "run.sh: setup.sh printed: $SETUP_OUT" >&2; exit 1; }

# 2. The binary.
if [[ -z "$WAGATE_BIN" ]]; then
  TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
  if [[ -x "$TARGET/release/wagate" ]]; then
    WAGATE_BIN="$TARGET/release/wagate"
  else
    if [[ ! -x "$TARGET/debug/wagate" ]]; then
      log "building wagate (cargo build -p wagate)"
      (cd "$ROOT" && cargo build -p wagate >&2)
    fi
    WAGATE_BIN="$TARGET/debug/wagate"
  fi
fi
[[ -x "$WAGATE_BIN" ]] || { echo "run.sh: no wagate binary at $WAGATE_BIN" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/wagate-suite.XXXXXX")"
RESULTS="$WORK/results"
mkdir -p "$RESULTS"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ $KEEP == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# Waits for the first line of a child's stdout file; prints it.
first_line() {
  local file="$1" what="$2" pid="$3"
  for _ in $(seq 1 300); do
    if [[ -s "$file" ]] && head -n 1 "$file" | grep -q .; then head -n 1 "$file"; return; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "run.sh: $what did not start; its output:" >&2
  cat "$file" "${file%.out}.err" >&2 2>/dev/null || true
  exit 1
}

# 3. wagate, on a fresh data dir, with templates approved 200 ms after creation.
cat >"$WORK/wagate.toml" <<'TOML'
[templates]
approve_all = true
review_delay_ms = 200

[webhooks]
backoff_base_ms = 200
backoff_max_ms = 2000
pause_base_ms = 50
TOML
UNSET=()
while IFS= read -r name; do UNSET+=(-u "$name"); done < <(compgen -e | grep '^WAGATE_' || true)
env ${UNSET[@]+"${UNSET[@]}"} "$WAGATE_BIN" serve --listen 127.0.0.1:0 --data-dir "$WORK/data" \
  --config "$WORK/wagate.toml" --log warn --allow-private-networks >"$WORK/wagate.out" 2>"$WORK/wagate.err" &
PIDS+=($!)
LINE="$(first_line "$WORK/wagate.out" wagate "${PIDS[-1]}")"
BASE_URL="$(sed -n 's/^wagate is listening on \([^ ]*\).*/\1/p' <<<"$LINE")"
[[ -n "$BASE_URL" ]] || { echo "run.sh: unexpected first line from wagate: $LINE" >&2; exit 1; }
for _ in $(seq 1 100); do [[ -s "$WORK/data/credentials.env" ]] && break; sleep 0.1; done
TOKEN="$(sed -n 's/^WAGATE_API_KEY=//p' "$WORK/data/credentials.env")"
log "wagate at $BASE_URL ($WAGATE_BIN)"

# 4. One sandbox channel per library (short delays), and the local file server for links.
eval "$("$PY" "$HERE/prepare.py" channels --base-url "$BASE_URL" --token "$TOKEN")"
"$PY" "$HERE/files.py" --dir "$WORK/files" --serve >"$WORK/files.out" 2>"$WORK/files.err" &
PIDS+=($!)
FILES_PORT="$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["port"])' \
  "$(first_line "$WORK/files.out" "the file server" "${PIDS[-1]}")")"
FILES_URL="http://127.0.0.1:$FILES_PORT"

# 5. The webhook receivers (pywa's and whatsapp-api-js's handlers), each subscribed to its
# library's channel.
SECRET="suite-app-secret-$RANDOM$RANDOM"
VERIFY="suite-verify-token"
"$PY" "$ROOT/conformance/webhooks/pywa_receiver.py" --port 0 --phone-id "$PYWA_PHONE" \
  --waba-id "$PYWA_WABA" --token unused --app-secret "$SECRET" --verify-token "$VERIFY" \
  >"$WORK/pywa_receiver.out" 2>"$WORK/pywa_receiver.err" &
PIDS+=($!)
PYWA_PORT="$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["port"])' \
  "$(first_line "$WORK/pywa_receiver.out" "pywa's receiver" "${PIDS[-1]}")")"
node "$ROOT/conformance/webhooks/wajs_receiver.mjs" --node-modules "$NODE_MODULES" --port 0 \
  --phone-id "$WAJS_PHONE" --token unused --app-secret "$SECRET" --verify-token "$VERIFY" \
  >"$WORK/wajs_receiver.out" 2>"$WORK/wajs_receiver.err" &
PIDS+=($!)
WAJS_PORT="$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["port"])' \
  "$(first_line "$WORK/wajs_receiver.out" "whatsapp-api-js's receiver" "${PIDS[-1]}")")"
{
  "$PY" "$HERE/prepare.py" subscribe --base-url "$BASE_URL" --token "$TOKEN" --lib pywa \
    --url "http://127.0.0.1:$PYWA_PORT/webhook" --channel-id "$PYWA_CHANNEL" \
    --secret "$SECRET" --verify-token "$VERIFY" \
    --field messages --field statuses --field message_template_status_update
  "$PY" "$HERE/prepare.py" subscribe --base-url "$BASE_URL" --token "$TOKEN" --lib wajs \
    --url "http://127.0.0.1:$WAJS_PORT/webhook" --channel-id "$WAJS_CHANNEL" \
    --secret "$SECRET" --verify-token "$VERIFY"
} >"$RESULTS/setup.jsonl"

# 6. The three drivers, in parallel, each on its own channel.
common=(--base-url "$BASE_URL" --token "$TOKEN" --files-url "$FILES_URL" --files-dir "$WORK/files")
run_driver() {
  local lib="$1"; shift
  local rc=0
  timeout 300 "$@" >"$RESULTS/$lib.jsonl" 2>"$RESULTS/$lib.stderr" || rc=$?
  echo "$rc" >"$RESULTS/$lib.rc"
}
log "running the pywa, whatsapp-api-js and kapso drivers"
run_driver pywa "$PY" "$HERE/pywa_suite.py" "${common[@]}" --phone-id "$PYWA_PHONE" \
  --waba-id "$PYWA_WABA" --source-waba-id "$SOURCE_WABA" --user 15550100101 &
D1=$!
run_driver wajs node "$HERE/wajs_suite.mjs" "${common[@]}" --node-modules "$NODE_MODULES" \
  --phone-id "$WAJS_PHONE" --waba-id "$WAJS_WABA" --user 15550100201 &
D2=$!
run_driver kapso node "$HERE/kapso_suite.mjs" "${common[@]}" --node-modules "$NODE_MODULES" \
  --phone-id "$KAPSO_PHONE" --waba-id "$KAPSO_WABA" --user 15550100301 &
D3=$!
wait "$D1" "$D2" "$D3"

# 7. The report (waits for the webhooks still on their way).
rc=0
"$PY" "$HERE/report.py" --results "$RESULTS" \
  --receiver "pywa=http://127.0.0.1:$PYWA_PORT/received" \
  --receiver "wajs=http://127.0.0.1:$WAJS_PORT/received" \
  --areas "$AREAS" --pending "$HERE/pending.txt" || rc=$?
exit "$rc"
