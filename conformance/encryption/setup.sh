#!/usr/bin/env bash
# Adds pywa's documented `cryptography` extra (`pip install 'pywa[cryptography]'`) to the venv
# conformance/webhooks/setup.sh made: pywa's Flows endpoint helpers
# (pywa.utils.default_flow_request_decryptor / default_flow_response_encryptor) import it.
#   usage: setup.sh VENV_PYTHON
# Idempotent: a no-op once `cryptography` imports.
set -euo pipefail
PY="$1"
if ! "$PY" -c "import cryptography" >/dev/null 2>&1; then
  "$PY" -m pip install --quiet --disable-pip-version-check "pywa[cryptography]==4.5.0" >&2
fi
"$PY" -c "import cryptography"
