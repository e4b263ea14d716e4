"""Live updates coalesced per epoch (issue 17, item 6): at most one broadcast per
BROADCAST_MIN_INTERVAL_SECONDS, carrying every project changed since the last one; a change inside the
interval goes out when the interval ends, never dropped. Through the real services, a real websocket
client (Channels' communicator) and the configured channel layer (in-memory, or Redis with REDIS_URL);
the Celery path with a real worker thread."""
import asyncio
import time

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.test import override_settings

from allocations import realtime, services
from allocations.models import ProjectFunding
from epochs.selectors import chain_view

from tests.fixtures.window import EPOCH, PROJECTS, USERS, sign
from .test_socketio import event, receive_frames, socket_open, state_now

pytestmark = pytest.mark.django_db(transaction=True)

ALICE, BOB, CAROL = USERS
P1, P2, P3 = PROJECTS
INTERVAL = 1.0
ON_CONNECT = 1 + 1 + len(PROJECTS)  # threshold "0" (none), project_rewards, one project_donors per project


def allocate(account, allocations, nonce):
    body = sign(account, allocations, nonce)
    services.allocate(user_address=account.address, allocations=allocations, nonce=nonce,
                      signature=body["signature"], is_manually_edited=False, view=chain_view())


async def broadcast(client, projects: int, timeout: float = 3) -> tuple[float, list[str]]:
    """One broadcast: project_rewards then `projects` project_donors (epoch 4: no threshold). Returns the
    time it arrived and its frames."""
    frames = [await client.receive_from(timeout=timeout) for _ in range(1 + projects)]
    return time.monotonic(), frames


@override_settings(BROADCAST_MIN_INTERVAL_SECONDS=INTERVAL)
async def test_changes_within_the_interval_go_out_together_when_it_ends(window):
    client = await socket_open()
    await receive_frames(client, ON_CONNECT)

    await database_sync_to_async(allocate)(ALICE, [(P1, 10**15)], 0)
    first, frames = await broadcast(client, 1)  # the first change goes out at once
    assert [event(f)[0] for f in frames] == ["project_rewards", "project_donors"]
    assert event(frames[1])[1]["project"] == P1

    await database_sync_to_async(allocate)(BOB, [(P2, 2 * 10**15)], 0)
    await database_sync_to_async(allocate)(CAROL, [(P3, 3 * 10**15)], 0)
    assert await client.receive_nothing(timeout=0.3)  # inside the interval: held back, not dropped
    expected = await database_sync_to_async(state_now)(projects=[P2, P3])
    second, frames = await broadcast(client, 2)
    assert second - first >= INTERVAL - 0.05
    assert frames == list(realtime.state_frames(expected, skip_none_threshold=True))  # both changes, one broadcast
    assert event(frames[1])[1] == {"project": P2, "donors": [{"address": BOB.address, "amount": str(2 * 10**15)}]}
    assert await client.receive_nothing(timeout=INTERVAL + 0.2)  # nothing more: every change was carried

    started = time.monotonic()  # later than an interval after the last: at once again
    await database_sync_to_async(allocate)(ALICE, [(P1, 10**15), (P3, 10**15)], 1)
    third, frames = await broadcast(client, 2)
    assert third - started < INTERVAL / 2
    assert [event(f)[1]["project"] for f in frames[1:]] == [P1, P3]
    rows = await database_sync_to_async(lambda: list(ProjectFunding.objects.filter(epoch=EPOCH).values_list(
        "version", "broadcast_version")))()
    assert all(version == sent for version, sent in rows)
    await client.disconnect()


@override_settings(BROADCAST_MIN_INTERVAL_SECONDS=0)
async def test_no_interval_broadcasts_every_change(window):
    client = await socket_open()
    await receive_frames(client, ON_CONNECT)
    for nonce, project in enumerate(PROJECTS):
        await database_sync_to_async(allocate)(ALICE, [(project, 10**15)], nonce)
        _, frames = await broadcast(client, 1 if nonce == 0 else 2)  # the project left, and the new one
        assert event(frames[-1])[1]["project"] == project
    await client.disconnect()


# --- the Celery path: a shared (Redis) channel layer and a worker -----------------------------------------

needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="Celery broadcasts only with a shared layer")


@pytest.fixture
def worker():
    """A real Celery worker thread on an in-memory broker, tasks no longer run eagerly."""
    from celery.contrib.testing.worker import start_worker

    from octant.celery import app

    keys = ("CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL", "CELERY_BROKER_CONNECTION_RETRY",
            "CELERY_TASK_PUBLISH_RETRY")  # the app reads its settings under the CELERY_ namespace
    saved = {key: app.conf.get(key) for key in keys}
    app.conf.update(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="memory://")
    use_broker(app)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield app
    finally:
        app.conf.update(saved)
        use_broker(app)


def use_broker(app) -> None:
    """Producers for the broker URL just set."""
    app._pool = None
    app.amqp._producer_pool = None


@needs_redis
@override_settings(BROADCAST_MIN_INTERVAL_SECONDS=INTERVAL)
async def test_the_worker_coalesces_the_changes_of_an_interval(window, worker):
    client = await socket_open()
    await receive_frames(client, ON_CONNECT)
    await database_sync_to_async(allocate)(ALICE, [(P1, 10**15)], 0)
    first, frames = await broadcast(client, 1, timeout=5)
    assert event(frames[1])[1]["project"] == P1

    await database_sync_to_async(allocate)(BOB, [(P2, 2 * 10**15)], 0)
    await database_sync_to_async(allocate)(CAROL, [(P3, 3 * 10**15)], 0)  # queued already: coalesced
    second, frames = await broadcast(client, 2, timeout=5)
    assert second - first >= INTERVAL - 0.05
    assert [event(f)[1]["project"] for f in frames[1:]] == [P2, P3]
    assert await client.receive_nothing(timeout=INTERVAL + 0.3)
    await client.disconnect()


@needs_redis
@override_settings(BROADCAST_MIN_INTERVAL_SECONDS=INTERVAL)
async def test_a_change_the_broker_missed_goes_out_with_the_beat_tick(window, worker):
    """The broker is unreachable when the allocation commits: the allocation stands, nothing is queued, and
    the next beat tick (catch_up) queues the broadcast."""
    from lifecycle.tasks import epochs_tick_task

    from .test_faults import closed_port

    client = await socket_open()
    await receive_frames(client, ON_CONNECT)
    app = worker
    app.conf.update(CELERY_BROKER_URL=f"redis://127.0.0.1:{closed_port()}/0", CELERY_BROKER_CONNECTION_RETRY=False,
                    CELERY_TASK_PUBLISH_RETRY=False)
    use_broker(app)
    try:
        await database_sync_to_async(allocate)(ALICE, [(P1, 10**15)], 0)  # no exception: committed
    finally:
        app.conf.update(CELERY_BROKER_URL="memory://")
        use_broker(app)
    rows = await database_sync_to_async(lambda: list(ProjectFunding.objects.filter(
        epoch=EPOCH, project_address=P1).values_list("version", "broadcast_version")))()
    assert rows == [(1, 0)]  # committed, not broadcast
    assert await client.receive_nothing(timeout=INTERVAL + 0.3)
    await database_sync_to_async(epochs_tick_task)()
    _, frames = await broadcast(client, 1, timeout=5)
    assert event(frames[1])[1] == {"project": P1, "donors": [{"address": ALICE.address, "amount": str(10**15)}]}
    await client.disconnect()


def test_the_wait_follows_the_last_broadcast(window, a_listener):
    with override_settings(BROADCAST_MIN_INTERVAL_SECONDS=INTERVAL):
        assert realtime.broadcast_wait(epoch=EPOCH) == 0
        allocate(ALICE, [(P1, 10**15)], 0)  # broadcast at once
        assert 0 < realtime.broadcast_wait(epoch=EPOCH) <= INTERVAL
        assert realtime.broadcast_wait(epoch=EPOCH + 1) == 0  # per epoch
    with override_settings(BROADCAST_MIN_INTERVAL_SECONDS=0):
        assert realtime.broadcast_wait(epoch=EPOCH) == 0


def test_a_delayed_broadcast_without_a_loop_goes_out_at_once(window):
    """Sync code with no event loop above it (a shell, a command) has no sockets to wait for: it sends."""
    with override_settings(BROADCAST_MIN_INTERVAL_SECONDS=60):
        allocate(ALICE, [(P1, 10**15)], 0)
        allocate(BOB, [(P2, 10**15)], 0)
    assert all(v == s for v, s in ProjectFunding.objects.filter(epoch=EPOCH).values_list(
        "version", "broadcast_version"))


def test_donors_json_is_the_event_payload(window):
    """The donors' JSON text (written by PostgreSQL there) is what json.dumps writes, byte for byte."""
    import json

    from allocations import selectors

    allocate(ALICE, [(P1, 10**15), (P2, 0)], 0)
    allocate(BOB, [(P1, 1234567890123456789)], 0)
    rows = selectors.projects_donors(epoch=EPOCH, projects=PROJECTS)
    rendered = dict(selectors.projects_donors_json(epoch=EPOCH, projects=PROJECTS))
    assert list(rendered) == PROJECTS  # in their order, every project
    assert rendered == {p: json.dumps([{"address": d, "amount": str(a)} for d, a in rows[p]], separators=(",", ":"))
                        for p in PROJECTS}
    assert rendered[P3] == "[]" and json.loads(rendered[P1])[1] == {"address": BOB.address,
                                                                    "amount": "1234567890123456789"}
    state = state_now(projects=PROJECTS)
    assert [event(f) for f in list(realtime.state_frames(state))[2:]] == [
        ["project_donors", {"project": p, "donors": [{"address": d, "amount": str(a)} for d, a in rows[p]]}]
        for p in PROJECTS]


def test_a_slow_broadcast_spaces_the_next_ones(window):
    """The next broadcast waits BROADCAST_BUSY_FACTOR times as long as the last one took, if that is longer
    than the interval: under load, building the broadcasts takes at most about 1/factor of the time."""
    with override_settings(BROADCAST_MIN_INTERVAL_SECONDS=INTERVAL, BROADCAST_BUSY_FACTOR=3):
        realtime._mark_broadcast(EPOCH, time.time(), took=0.1)
        assert 0.8 < realtime.broadcast_wait(epoch=EPOCH) <= INTERVAL
        realtime._mark_broadcast(EPOCH, time.time(), took=2.0)
        assert 5.8 < realtime.broadcast_wait(epoch=EPOCH) <= 6.0


def test_nothing_is_built_while_no_socket_listens(window, monkeypatch):
    """No client connected: no donor list is read or sent, and the versions count as sent (a client that
    connects later gets the whole state on connect)."""
    built = []
    from allocations import selectors

    original = selectors.socket_payload
    monkeypatch.setattr(selectors, "socket_payload", lambda **kw: built.append(kw) or original(**kw))
    allocate(ALICE, [(P1, 10**15)], 0)
    assert realtime.listening() is False and built == []
    assert all(v == s for v, s in ProjectFunding.objects.filter(epoch=EPOCH).values_list(
        "version", "broadcast_version"))


def test_unheard_changes_are_spaced_like_broadcasts(window):
    """With no socket connected, the run that counts the versions as sent spaces the next run as a broadcast
    does: a busy window costs the worker one run per interval, not one per allocation (about 2.5 ms of
    worker time per allocation at the 1,000,000-allocation benchmark)."""
    with override_settings(BROADCAST_MIN_INTERVAL_SECONDS=INTERVAL):
        allocate(ALICE, [(P1, 10**15)], 0)
        assert realtime.listening() is False
        assert 0 < realtime.broadcast_wait(epoch=EPOCH) <= INTERVAL


def test_a_listener_is_counted_on_the_configured_layer(window, a_listener):
    assert realtime.listening() is True
    allocate(BOB, [(P2, 10**15)], 0)
    assert all(v == s for v, s in ProjectFunding.objects.filter(epoch=EPOCH).values_list(
        "version", "broadcast_version"))


@needs_redis
@override_settings(BROADCAST_MIN_INTERVAL_SECONDS=0)
async def test_a_big_broadcast_is_stored_once_and_read_once_per_process(window, monkeypatch):
    """A broadcast of more than one batch goes into the cache once, the group message names it, and the
    sockets of one process read it once between them: Redis carries it once per process, not per socket."""
    from django.core.cache import caches

    monkeypatch.setattr(realtime, "MAX_BATCH_CHARS", 10)  # every broadcast is "big"
    reads = []
    original = type(caches['default']).get  # every thread's instance of the cache's class

    def get(self, key, *args, **kwargs):
        reads.append(key)
        return original(self, key, *args, **kwargs)

    monkeypatch.setattr(type(caches['default']), "get", get)
    clients = [await socket_open() for _ in range(3)]
    for client in clients:
        await receive_frames(client, ON_CONNECT)
    await database_sync_to_async(allocate)(ALICE, [(P1, 10**15), (P2, 10**15)], 0)
    expected = await database_sync_to_async(state_now)(projects=[P1, P2])
    for client in clients:
        _, frames = await broadcast(client, 2)
        assert frames == list(realtime.state_frames(expected, skip_none_threshold=True))
    stored = [key for key in reads if key.startswith("octant:broadcast:frames:")]
    assert len(stored) == 1
    await asyncio.sleep(1.2)  # the process lets the frames go a second after reading them
    assert stored[0] not in realtime._reading.get(asyncio.get_running_loop(), {})
    assert await realtime.stored_frames("octant:broadcast:frames:gone") == []  # expired: nothing to send
    for client in clients:
        await client.disconnect()


async def test_a_stored_broadcast_the_cache_cannot_give_sends_nothing(monkeypatch):
    from django.core.cache import caches

    def fail(self, key, *args, **kwargs):
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(type(caches["default"]), "get", fail)
    assert await realtime.stored_frames("octant:broadcast:frames:any") == []
