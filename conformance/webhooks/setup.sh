#!/usr/bin/env bash
# Installs the pinned, unmodified webhook-receiver client libraries into a cache dir.
#   usage: setup.sh [CACHE_DIR]   (default /tmp/wagate-sdk)
# Creates CACHE_DIR/venv (pywa) and CACHE_DIR/node/node_modules (whatsapp-api-js).
# Idempotent: a marker file records the pins; a second run with the same pins is a no-op.
set -euo pipefail

PYWA_VERSION=4.5.0
WAJS_VERSION=6.3.0

CACHE="${1:-/tmp/wagate-sdk}"
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"
VENV="$CACHE/venv"
NODE_DIR="$CACHE/node"
MARKER="$CACHE/.installed"
WANT="pywa==$PYWA_VERSION whatsapp-api-js@$WAJS_VERSION"

if [[ -f "$MARKER" && "$(cat "$MARKER")" == "$WANT" \
      && -x "$VENV/bin/python" && -f "$NODE_DIR/node_modules/whatsapp-api-js/package.json" ]]; then
  :
else
  PY="${PYTHON:-}"
  if [[ -z "$PY" ]]; then
    for c in python3.11 python3; do command -v "$c" >/dev/null 2>&1 && { PY="$c"; break; }; done
  fi
  [[ -n "$PY" ]] || { echo "setup.sh: python3 not found" >&2; exit 1; }
  command -v npm >/dev/null 2>&1 || { echo "setup.sh: npm not found" >&2; exit 1; }

  rm -f "$MARKER"
  [[ -x "$VENV/bin/python" ]] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "pywa==$PYWA_VERSION" >&2

  mkdir -p "$NODE_DIR"
  [[ -f "$NODE_DIR/package.json" ]] || echo '{"name":"wagate-sdk-cache","private":true}' > "$NODE_DIR/package.json"
  npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error --save-exact \
    "whatsapp-api-js@$WAJS_VERSION" >&2

  echo "$WANT" > "$MARKER"
fi

echo "VENV_PYTHON=$VENV/bin/python"
echo "NODE_MODULES=$NODE_DIR/node_modules"
