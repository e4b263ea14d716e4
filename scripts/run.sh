#!/usr/bin/env bash
# Install, migrate, seed a demo local chain (first run only; SEED_DEMO=0 skips it), then serve HTTP +
# websockets on $HOST:$PORT (default 127.0.0.1:8000) with uvicorn (scripts/serve.py; one process, as the
# in-memory channel layer is per process) and run the periodic jobs (a Celery worker with embedded beat,
# logging to var/log/worker-$PORT.log). Needs no database or Redis server: without DATABASE_URL it uses the
# embedded PostgreSQL under var/postgres (started unless it runs, stopped on exit if started here); without
# REDIS_URL, Celery uses a file-system broker under var/ and Channels an in-memory layer. Both write their metrics
# to var/metrics (PROMETHEUS_MULTIPROC_DIR; each clears a former run's values as it starts) and the server's
# /metrics shows them (with METRICS_TOKEN set; README "Metrics and logs"). Ctrl-C, SIGTERM or a closed terminal stops them all.
source "$(dirname "$0")/_venv.sh"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
# the port first: if the server cannot listen there, nothing starts (it would fail after everything else had)
.venv/bin/python - "$HOST" "$PORT" <<'EOF' || exit 1
import errno, socket, sys
host, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: a port in TIME_WAIT is free
try:
    s.bind((host.strip("[]"), port))
except OSError as error:
    sys.exit(f"Port {port} on {host} is taken (another server, or this service already running?). Pick another "
             f"port: PORT={port + 1} bash scripts/run.sh" if error.errno == errno.EADDRINUSE else
             f"Cannot listen on {host}:{port}: {error.strerror or error}. Set HOST and PORT: "
             f"HOST=127.0.0.1 PORT=8000 bash scripts/run.sh")
EOF
source scripts/_database.sh
trap stop_database EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
LOG="var/log/worker-$PORT.log"
.venv/bin/python manage.py migrate --noinput -v0
if [ "${SEED_DEMO:-1}" != 0 ]; then
  .venv/bin/python manage.py seed_demo
fi
mkdir -p var/celery/queue var/celery/processed var/celery/control var/log

WORKER="" SERVER=""
stop() {  # TERM both (the worker finishes its task), KILL whatever still runs after 20 s; then the database
  trap - EXIT INT TERM HUP
  kill -TERM $WORKER $SERVER 2>/dev/null || true
  for _ in $(seq 200); do  # until both are gone (one `kill -0` of both fails as soon as either is)
    { kill -0 $WORKER || kill -0 $SERVER; } 2>/dev/null || break
    sleep 0.1
  done
  for pid in $WORKER $SERVER; do  # its whole group: whatever it left, such as the worker's embedded beat
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  wait $WORKER $SERVER 2>/dev/null || true
  stop_database
}
trap stop EXIT
# Each in a process group of its own (job control on while they start): Ctrl-C reaches run.sh alone, which stops
# them, and stopping one's group stops all it started, even a process its parent left behind when it exited.
set -m
.venv/bin/celery -A octant.celery worker --beat --pool=solo --loglevel=INFO --logfile="$LOG" &
WORKER=$!
.venv/bin/python scripts/serve.py --host "$HOST" --port "$PORT" --processes 1 &
SERVER=$!
set +m
echo "Serving on http://$HOST:$PORT/ (API docs: /api/docs/, admin: /admin/, Socket.IO: /socket.io/);" \
     "periodic jobs log to $LOG. Ctrl-C stops."
# Whichever stops first (or a signal) stops the other.
status=0
wait -n $WORKER $SERVER || status=$?
exit $status
