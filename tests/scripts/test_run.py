"""scripts/run.sh on a port another server holds: it says so, and how to pick another, before starting
anything (issue 25, item 12)."""
import os
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_taken_port_is_named_before_anything_starts():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "SEED_DEMO": "0"}
        run = subprocess.run(["bash", "scripts/run.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=300)
    assert run.returncode == 1
    assert f"Port {port} on 127.0.0.1 is taken" in run.stderr and f"PORT={port + 1} bash scripts/run.sh" in run.stderr
    assert "Serving on" not in run.stdout + run.stderr
    assert len(run.stderr.splitlines()) == 1, run.stderr
