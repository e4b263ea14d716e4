"""A Celery worker killed while a broadcast run waits for its interval (issue 25, item 7): the run's queued mark
must not hold live updates back for a minute. A real worker process on the Redis broker, killed with SIGKILL
and started again; the beat tick's catch-up queues the broadcast once the lost run's mark lapses (about an
interval), and the new worker sends it."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from channels.db import database_sync_to_async
from django.conf import settings
from django.test import override_settings

from allocations import services, tasks
from octant.core import queue

from tests.fixtures.window import EPOCH, PROJECTS, USERS
from .test_broadcast_coalescing import ON_CONNECT, allocate, broadcast, use_broker
from .test_socketio import event, receive_frames, socket_open

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(not settings.REDIS_URL, reason="a worker process needs the Redis broker")]

ALICE, BOB, _ = USERS
P1, P2, _ = PROJECTS
INTERVAL = 4.0
ROOT = Path(__file__).resolve().parents[2]


def start_worker() -> subprocess.Popen:
    database = settings.DATABASES["default"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "octant.settings.base", "REDIS_URL": settings.REDIS_URL,
           "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
           "LOCAL_CHAIN_CLOCK_RUNNING": "0", "EPOCH_RULES": settings.EPOCH_RULES, "DATABASE_POOL_SIZE": "0",
           "BROADCAST_MIN_INTERVAL_SECONDS": str(INTERVAL), "CELERY_TASK_ALWAYS_EAGER": "0"}
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "octant.celery", "worker", "--pool", "solo",
                             "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture
def redis_broker():
    """The test process queues tasks on the Redis broker (not in memory, not eagerly)."""
    from octant.celery import app

    keys = ("CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL")
    saved = {key: app.conf.get(key) for key in keys}
    app.conf.update(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=settings.REDIS_URL)
    use_broker(app)
    redis.Redis.from_url(settings.REDIS_URL).delete("celery")  # no message of an earlier run
    try:
        yield app
    finally:
        app.conf.update(saved)
        use_broker(app)


@override_settings(BROADCAST_MIN_INTERVAL_SECONDS=INTERVAL)
async def test_a_worker_killed_during_the_wait_costs_about_an_interval(window, redis_broker):
    workers = [start_worker()]
    try:
        client = await socket_open()
        await receive_frames(client, ON_CONNECT)
        await database_sync_to_async(allocate)(ALICE, [(P1, 10**15)], 0)
        await broadcast(client, 1, timeout=60)  # the worker is up and has broadcast: the interval starts

        await database_sync_to_async(allocate)(BOB, [(P2, 2 * 10**15)], 0)  # its run waits for the interval
        mark = queue._key(tasks.broadcast_changes_task, (EPOCH,))
        broker = redis.Redis.from_url(settings.REDIS_URL)
        deadline = time.monotonic() + 5
        while broker.llen("celery"):  # until the worker has taken the run
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.3)
        workers[0].send_signal(signal.SIGKILL)  # the run dies in its wait, its mark left queued
        workers[0].wait(10)
        killed = time.monotonic()
        assert await database_sync_to_async(queue.cache.get)(mark)

        workers.append(start_worker())  # restarted; beat ticks meanwhile, every second here
        frames = None
        while frames is None:
            assert time.monotonic() - killed < 40, "no broadcast after the worker was killed"
            await database_sync_to_async(services.catch_up)(epoch=EPOCH)
            if await client.receive_nothing(timeout=1):
                continue
            frame = await client.receive_from()
            if frame == "2":  # the server's ping
                await client.send_to(text_data="3")
            else:
                frames = [frame, await client.receive_from(timeout=10)]
        took = time.monotonic() - killed
        assert event(frames[1])[1]["project"] == P2
        print(f"broadcast {took:.1f} s after the kill")
        assert took < 2 * INTERVAL + 20  # the interval's rest, the mark's interval and the restart; not 60 s
        await client.disconnect()
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(10)
