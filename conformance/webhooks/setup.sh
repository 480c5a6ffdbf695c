#!/usr/bin/env bash
# Installs the pinned, unmodified client libraries the conformance checks run into a cache dir.
#   usage: setup.sh [CACHE_DIR]   (default /tmp/wagate-sdk)
# Creates CACHE_DIR/venv (pywa) and CACHE_DIR/node/node_modules (whatsapp-api-js and
# @kapso/whatsapp-cloud-api). Used by conformance/webhooks and conformance/templates.
# Idempotent: a marker file records the pins; a second run with the same pins is a no-op.
# Concurrent runs (tests in parallel) take turns on CACHE_DIR/.lock where flock exists.
set -euo pipefail

PYWA_VERSION=4.5.0
WAJS_VERSION=6.3.0
KAPSO_VERSION=0.3.0

CACHE="${1:-/tmp/wagate-sdk}"
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.lock"
  flock 9
fi
VENV="$CACHE/venv"
NODE_DIR="$CACHE/node"
MARKER="$CACHE/.installed"
WANT="pywa==$PYWA_VERSION whatsapp-api-js@$WAJS_VERSION @kapso/whatsapp-cloud-api@$KAPSO_VERSION"

if [[ -f "$MARKER" && "$(cat "$MARKER")" == "$WANT" \
      && -x "$VENV/bin/python" && -f "$NODE_DIR/node_modules/whatsapp-api-js/package.json" \
      && -f "$NODE_DIR/node_modules/@kapso/whatsapp-cloud-api/package.json" ]]; then
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
    "whatsapp-api-js@$WAJS_VERSION" "@kapso/whatsapp-cloud-api@$KAPSO_VERSION" >&2

  echo "$WANT" > "$MARKER"
fi

echo "VENV_PYTHON=$VENV/bin/python"
echo "NODE_MODULES=$NODE_DIR/node_modules"
