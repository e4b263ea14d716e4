#!/usr/bin/env bash
# Install and run the whole test suite. SQLite and in-memory layers unless DATABASE_URL / REDIS_URL are set.
source "$(dirname "$0")/_venv.sh"
source scripts/_browser.sh
.venv/bin/python -m pytest "$@"
