"""scripts/serve.py, the production server: uvicorn with several worker processes on one port."""
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in found]


def test_two_worker_processes_share_the_port_and_stop_on_sigterm(scratch_database_url, tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_99999999.db").write_bytes(b"a former run's")  # no such process (above pid_max)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "octant.settings.test", "REDIS_URL": "",
           "DATABASE_URL": scratch_database_url, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
           "METRICS_TOKEN": "scrape"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "scripts/serve.py", "--host", "127.0.0.1", "--port", str(port),
                               "--processes", "2", "--", "--no-access-log"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, answered = time.monotonic() + 60, None
        while answered is None:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/info/healthcheck")
                answered = connection.getresponse()
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert answered.status == 200
        workers = [pid for pid in _children(server.pid)
                   if "multiprocessing.resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_text()]
        assert len(workers) == 2, workers
        for _ in range(20):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/info/healthcheck")
            assert connection.getresponse().status == 200
        assert not (metrics_dir / "counter_99999999.db").exists()  # cleaned at start
        assert all((metrics_dir / f"histogram_{pid}.db").exists() for pid in workers)  # each process writes
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/metrics", headers={"Authorization": "Bearer scrape"})
        scraped = connection.getresponse().read().decode()
        count = 'octant_http_request_duration_seconds_count{method="GET",route="/info/healthcheck",status="200"}'
        assert float(next(line for line in scraped.splitlines() if line.startswith(count)).split()[-1]) >= 20  # (the last may still be on its way)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        time.sleep(0.5)
        assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()
                    and "zombie" not in Path(f"/proc/{pid}/status").read_text()]
    finally:
        if server.poll() is None:
            server.kill()
