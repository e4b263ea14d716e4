"""The metrics' multiprocess directory (octant.core.metrics): a former run's value files go as a Celery worker
starts (scripts/serve.py's start: tests/scripts/test_serve.py), those of running processes stay."""
import os
import shutil
from pathlib import Path

import pytest

from octant.core import metrics

from tests.allocations.test_broadcast_coalescing import use_broker

DEAD = 99_999_999  # above any pid_max: no such process


def test_clean_directory_keeps_running_processes_and_creates_a_missing_one(tmp_path):
    folder = tmp_path / "metrics"
    assert metrics.clean_directory(str(folder)) == 0 and folder.is_dir()
    for name in (f"counter_{DEAD}.db", f"gauge_livesum_{DEAD}.db", f"counter_{os.getpid()}.db", "stray.db"):
        (folder / name).write_bytes(b"")
    assert metrics.clean_directory(str(folder)) == 3
    assert [p.name for p in folder.iterdir()] == [f"counter_{os.getpid()}.db"]


@pytest.fixture
def stale_file():
    """A former run's value file in this test run's directory (a valid one: other tests scrape it)."""
    folder = Path(metrics.directory())
    metrics.TASKS.labels("test", "succeeded").inc(0)  # this process has a counter file
    stale = folder / f"counter_{DEAD}.db"
    shutil.copy(folder / f"counter_{os.getpid()}.db", stale)
    yield stale
    stale.unlink(missing_ok=True)


def test_a_celery_worker_start_removes_a_former_runs_values(stale_file):
    from celery.contrib.testing.worker import start_worker

    from octant.celery import app

    saved = {key: app.conf.get(key) for key in ("CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL")}
    app.conf.update(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="memory://")
    use_broker(app)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            assert not stale_file.exists()
    finally:
        app.conf.update(saved)
        use_broker(app)
    assert (Path(metrics.directory()) / f"counter_{os.getpid()}.db").exists()


def test_a_worker_serves_its_machines_metrics_on_its_own_bind(settings):
    import socket
    import urllib.request

    from celery.contrib.testing.worker import start_worker

    from octant.celery import app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        settings.METRICS_WORKER_PORT = s.getsockname()[1]
    metrics.TASKS.labels("octant.test.served", "succeeded").inc()
    saved = {key: app.conf.get(key) for key in ("CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL")}
    app.conf.update(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="memory://")
    use_broker(app)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            url = f"http://127.0.0.1:{settings.METRICS_WORKER_PORT}/metrics"
            text = urllib.request.urlopen(url, timeout=10).read().decode()
    finally:
        app.conf.update(saved)
        use_broker(app)
        while metrics.worker_server:
            metrics.worker_server.pop().shutdown()
    assert 'octant_celery_tasks_total{outcome="succeeded",task="octant.test.served"}' in text
