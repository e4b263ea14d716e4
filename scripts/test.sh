#!/usr/bin/env bash
# Install and run the whole test suite: on the embedded PostgreSQL (var/postgres; started unless it runs,
# stopped at the end if started here) unless DATABASE_URL is set, in-memory layers unless REDIS_URL is set.
source "$(dirname "$0")/_venv.sh"
source scripts/_browser.sh
source scripts/_database.sh
trap stop_database EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
.venv/bin/python -m pytest "$@"
