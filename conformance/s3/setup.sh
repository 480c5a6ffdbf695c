#!/usr/bin/env bash
# Installs moto's S3-compatible server (PyPI, pinned) into a cache dir, for the test of
# wagate's S3 media store against a real S3 API over HTTP.
#   usage: setup.sh [CACHE_DIR]   (default /tmp/wagate-sdk)
# Prints MOTO_SERVER=<path to the moto_server executable>. Idempotent.
set -euo pipefail

MOTO_VERSION=5.2.5

CACHE="${1:-/tmp/wagate-sdk}"
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"
VENV="$CACHE/moto-venv"
MARKER="$CACHE/.moto-installed"
WANT="moto[server]==$MOTO_VERSION"

exec 9>"$CACHE/.moto-lock"
command -v flock >/dev/null 2>&1 && flock 9

if [[ ! -f "$MARKER" || "$(cat "$MARKER")" != "$WANT" || ! -x "$VENV/bin/moto_server" ]]; then
  PY="${PYTHON:-}"
  if [[ -z "$PY" ]]; then
    for c in python3.11 python3; do command -v "$c" >/dev/null 2>&1 && { PY="$c"; break; }; done
  fi
  [[ -n "$PY" ]] || { echo "setup.sh: python3 not found" >&2; exit 1; }
  rm -f "$MARKER"
  [[ -x "$VENV/bin/python" ]] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$WANT" >&2
  echo "$WANT" > "$MARKER"
fi

echo "MOTO_SERVER=$VENV/bin/moto_server"
