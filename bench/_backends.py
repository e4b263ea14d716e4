"""Plumbing shared by the database benchmarks: a fresh PostgreSQL database per run, and the worker
subprocesses that do the work (DATABASE_URL must be set before django.setup(), and a process of its own per
phase makes its peak RSS that phase's own; BENCH_PROFILE=/tmp/x.prof cProfiles each phase into /tmp/x.prof.<phase>).

A benchmark module calls `run_phases(module, name, phases)` from its `main()`; its `__main__` block calls
`worker(sys.argv[1:], handlers)`, which sets Django up and prints the handler's result as one JSON line.
The databases are made on the server of DATABASE_URL (trust auth or a password in the URL), else on the
embedded server of this checkout (octant/embedded_db.py: started for the run unless it runs).
"""
import contextlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULT = "BENCH-RESULT "


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _named(url: str, database: str) -> str:
    return urlsplit(url)._replace(path=f"/{database}").geturl()


@contextlib.contextmanager
def fresh_database(name: str):
    """A new empty database for one run, removed afterwards; yields its DATABASE_URL. BENCH_DATABASE names
    the database instead of `name` (one of your own when several people share the server)."""
    import psycopg

    from octant import embedded_db

    name = os.environ.get("BENCH_DATABASE") or name
    server, started = os.environ.get("DATABASE_URL"), False
    if not server:
        server, started = embedded_db.start()

    def admin(sql: str) -> None:
        with psycopg.connect(_named(server, "postgres"), autocommit=True) as connection:
            connection.execute(sql)

    try:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin(f'CREATE DATABASE "{name}"')
        try:
            yield _named(server, name)
        finally:
            admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        if started:
            embedded_db.stop()


def redis_url() -> str:
    """BENCH_REDIS_URL (default redis://127.0.0.1:6379/15) if a Redis answers there, else ""."""
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
        return url
    except Exception:
        return ""


# a bench's server is reached over plain http by clients of one address: no redirect to https, no throttles, no
# cap on its sockets
ONE_CLIENT_ADDRESS = dict(SECURE_SSL_REDIRECT="0", THROTTLE_READ_RATE="", THROTTLE_WRITE_RATE="",
                          THROTTLE_HEAVY_RATE="", SOCKETS_PER_IP="0")


def run_phase(module: str, phase: str, database_url: str, **env_vars: str) -> dict:
    """Run `python -m module phase` against `database_url` and return the JSON result it printed.
    Without Redis (REDIS_URL empty) unless env_vars say otherwise."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="octant.settings.base", LOCAL_CHAIN_CLOCK_RUNNING="0",
               DATABASE_URL=database_url, DEBUG="0", SECRET_KEY="bench-only", CELERY_TASK_ALWAYS_EAGER="0",
               CHAIN_BACKEND="local", REDIS_URL="", LOG_LEVEL="WARNING", **ONE_CLIENT_ADDRESS)
    env.update(env_vars)
    process = subprocess.run([sys.executable, "-m", module, phase], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             text=True)
    lines = [line for line in process.stdout.splitlines() if line.startswith(RESULT)]
    for line in process.stdout.splitlines():
        if not line.startswith(RESULT):
            print(line)
    if process.returncode or not lines:
        raise RuntimeError(f"{module} {phase} failed (exit {process.returncode})")
    return json.loads(lines[-1][len(RESULT):])


def run_phases(module: str, name: str, phases: list[str], env: dict[str, dict] | None = None) -> dict[str, dict]:
    """A fresh database, then each phase in its own process ({phase: extra environment} in `env`).
    {phase: its result, with its wall time}."""
    results = {}
    with fresh_database(name) as url:
        for phase in phases:
            started = time.perf_counter()
            results[phase] = run_phase(module, phase, url, **(env or {}).get(phase, {}))
            results[phase]["wall"] = time.perf_counter() - started
    return results


def worker(argv: list[str], handlers: dict) -> int:
    """The body of a phase process: set Django up, run the handler, print its result dict."""
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    if os.environ.get("BENCH_PROFILE"):  # e.g. BENCH_PROFILE=/tmp/snapshot.prof: cProfile the phase
        import cProfile

        profile = cProfile.Profile()
        result = profile.runcall(handlers[argv[0]])
        profile.dump_stats(f"{os.environ['BENCH_PROFILE']}.{argv[0]}")
    else:
        result = handlers[argv[0]]()
    result.setdefault("peak_mib", peak_mib())
    print(RESULT + json.dumps(result), flush=True)
    return 0


def migrate() -> float:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    return time.perf_counter() - started


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(-(-fraction * len(ordered) // 1)) - 1))]


def verdict(value: float, target: float) -> str:
    return f"{'ok' if value < target else 'MISSED'} (<{target:g})"
