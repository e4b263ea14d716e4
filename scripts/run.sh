#!/usr/bin/env bash
# Install, migrate, seed a demo local chain (first run only), then serve HTTP + websockets with daphne on
# 127.0.0.1:8000 and run the periodic jobs (a Celery worker with embedded beat). Needs no PostgreSQL or
# Redis: without REDIS_URL, Celery uses a file-system broker under var/ and Channels an in-memory layer.
source "$(dirname "$0")/_venv.sh"
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py seed_demo
mkdir -p var/celery/queue var/celery/processed var/celery/control
.venv/bin/celery -A octant.celery worker --beat --pool=solo --loglevel=INFO --logfile=var/celery.log &
WORKER=$!
trap 'kill $WORKER 2>/dev/null; wait $WORKER 2>/dev/null' EXIT INT TERM
echo "Serving on http://127.0.0.1:8000 (API docs: /api/docs/, admin: /admin/); periodic jobs log to var/celery.log"
.venv/bin/daphne -b "${HOST:-127.0.0.1}" -p "${PORT:-8000}" octant.asgi:application
