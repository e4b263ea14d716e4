# Sourced by the scripts: create .venv in the checkout (Python 3.11) and install the pinned requirements
# (requirements-dev.txt: the runtime ones and the test tools), again whenever either file changes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -x .venv/bin/python ]; then
  PY=$(command -v python3.11 || command -v python3)
  echo "First run: creating the virtual environment .venv with $PY..."
  "$PY" -m venv .venv
fi
# .venv/.installed holds the checksum of the requirement files it was installed from
wanted=$(cat requirements.txt requirements-dev.txt | cksum)
if [ "$(cat .venv/.installed 2>/dev/null)" != "$wanted" ]; then
  echo "Installing the pinned requirements into .venv (the first time: about 2 minutes, ~500 MB)..."
  start=$SECONDS
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
  echo "$wanted" > .venv/.installed
  echo "Installed in $((SECONDS - start)) s."
fi
