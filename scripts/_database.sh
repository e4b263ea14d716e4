# Sourced by scripts/run.sh and scripts/test.sh after _venv.sh: without DATABASE_URL (in the environment or
# .env), start the embedded PostgreSQL server of this checkout (octant/embedded_db.py; data in var/postgres,
# kept) unless it runs, and export its URL to every process the script starts. `stop_database` (the script's
# exit) stops it only if this script started it: a test run never stops the server of a running service.
STARTED_DATABASE=""
if [ -z "${DATABASE_URL:-}" ] && ! grep -Eqs '^(export )?DATABASE_URL=.' .env; then
  started=$(.venv/bin/python -m octant.embedded_db start)
  export DATABASE_URL="${started#* }"
  [ "${started%% *}" != started ] || STARTED_DATABASE=1
fi
stop_database() {
  [ -z "$STARTED_DATABASE" ] || .venv/bin/python -m octant.embedded_db stop >/dev/null
}
