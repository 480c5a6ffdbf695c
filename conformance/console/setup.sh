#!/usr/bin/env bash
# Installs what the console's browser tests need into a cache dir: a venv with the pinned
# Playwright for Python (its driver only: no browser download), and checks for Debian's
# chromium (`apt-get install chromium`; .ci/run installs it).
#   usage: setup.sh [CACHE_DIR]   (default /tmp/wagate-console)
# Prints `python=<venv python>` and `chromium=<path>`. Idempotent; concurrent runs take turns.
set -euo pipefail

PLAYWRIGHT_VERSION=1.65.3

CACHE="${1:-/tmp/wagate-console}"
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.lock"
  flock 9
fi
VENV="$CACHE/venv"
MARKER="$CACHE/.installed"
WANT="playwright==$PLAYWRIGHT_VERSION"

CHROMIUM="${CHROMIUM:-}"
if [[ -z "$CHROMIUM" ]]; then
  for c in chromium chromium-browser; do command -v "$c" >/dev/null 2>&1 && { CHROMIUM="$(command -v "$c")"; break; }; done
fi
[[ -n "$CHROMIUM" ]] || { echo "setup.sh: chromium not found (apt-get install chromium)" >&2; exit 1; }

if [[ ! -f "$MARKER" || "$(cat "$MARKER")" != "$WANT" || ! -x "$VENV/bin/python" ]]; then
  PY="${PYTHON:-}"
  if [[ -z "$PY" ]]; then
    for c in python3.11 python3; do command -v "$c" >/dev/null 2>&1 && { PY="$c"; break; }; done
  fi
  [[ -n "$PY" ]] || { echo "setup.sh: python3 not found" >&2; exit 1; }
  rm -f "$MARKER"
  [[ -x "$VENV/bin/python" ]] || "$PY" -m venv "$VENV"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 "$VENV/bin/python" -m pip install --quiet \
    --disable-pip-version-check "$WANT" >&2
  echo "$WANT" > "$MARKER"
fi
echo "python=$VENV/bin/python"
echo "chromium=$CHROMIUM"
