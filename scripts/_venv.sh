# Sourced by the scripts: create .venv in the checkout (Python 3.11) and install the pinned requirements.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -x .venv/bin/python ]; then
  PY=$(command -v python3.11 || command -v python3)
  echo "First run: creating the virtual environment .venv with $PY..."
  "$PY" -m venv .venv
fi
if [ ! -f .venv/.installed ] || [ requirements.txt -nt .venv/.installed ]; then
  echo "Installing the pinned requirements into .venv (first run only: about 2 minutes, ~500 MB)..."
  start=$SECONDS
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
  touch .venv/.installed
  echo "Installed in $((SECONDS - start)) s."
fi
