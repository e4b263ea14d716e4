"""octant/embedded_db.py: the embedded PostgreSQL server of a data folder, started once, found running,
stopped; a server killed without a shutdown starts again; two commands starting it at once share one."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from octant import embedded_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def data_dir():
    """Not under pytest's temporary folder: another pytest run resets it to mode 0700, and the server, run by
    root as the user embedded_postgres, must reach its data."""
    folder = Path(tempfile.mkdtemp(prefix="octant-pg-"))
    yield folder / "pg"
    embedded_db.stop(folder / "pg")
    shutil.rmtree(folder)


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for init to reap it is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _answers(url: str) -> bool:
    with psycopg.connect(url, connect_timeout=5) as connection:
        return connection.execute("SELECT current_database()").fetchone() == ("octant",)


def test_started_once_then_found_running_then_stopped(data_dir):
    url, started = embedded_db.start(data_dir)
    assert started and _answers(url)
    assert embedded_db.start(data_dir) == (url, False)
    pid = int((data_dir / "postmaster.pid").read_text().split()[0])
    assert embedded_db.stop(data_dir)
    assert not _alive(pid) and not (data_dir / "postmaster.pid").exists()
    assert not embedded_db.stop(data_dir)
    with psycopg.connect(embedded_db.start(data_dir)[0]) as connection:  # the data is kept
        connection.execute("CREATE TABLE kept (n int)")
    embedded_db.stop(data_dir)
    url, started = embedded_db.start(data_dir)
    with psycopg.connect(url) as connection:
        assert started and connection.execute("SELECT count(*) FROM kept").fetchone() == (0,)


def test_a_killed_server_whose_pid_was_taken_starts_again(data_dir):
    embedded_db.start(data_dir)
    pid_file = data_dir / "postmaster.pid"
    lines = pid_file.read_text().splitlines()
    os.kill(int(lines[0]), signal.SIGKILL)
    deadline = time.monotonic() + 10
    while _alive(int(lines[0])):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    pid_file.write_text("\n".join([str(os.getpid()), *lines[1:]]) + "\n")  # a live process that is no server
    url, started = embedded_db.start(data_dir)
    assert started and _answers(url)


def test_two_commands_starting_it_at_once_share_one_server(data_dir):
    code = f"from octant import embedded_db; print(*embedded_db.start(embedded_db.Path({str(data_dir)!r})))"
    commands = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
                for _ in range(3)]
    said = sorted(command.communicate(timeout=60)[0].split()[1] for command in commands)
    assert said == ["False", "False", "True"]
