"""Live updates that degrade gracefully (issue 26, item 4): each socket's outgoing queue keeps only the newest
frame per (event, project), so a slow reader skips states, ends on the latest and costs the server a bounded
queue; permessage-deflate when the client offers it (the production server: uvicorn); the broadcast interval
stretches with the egress (bytes to each socket times the sockets) against LIVE_EGRESS_BYTES_PER_SECOND."""
import asyncio
import time

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import override_settings
from django.urls import re_path

from allocations import realtime, services
from allocations.consumers import SocketIOConsumer
from epochs.selectors import chain_view

from tests.fixtures.window import EPOCH, PROJECTS as WINDOW_PROJECTS, USERS, sign
from .test_socketio import (DONOR, PROJECTS, URL, allocation_body, live_server_url, open_window,  # noqa: F401
                            receive_frames, state_now)

pytestmark = pytest.mark.django_db(transaction=True)


class Watched(SocketIOConsumer):
    """The production consumer, remembered so that the test can look at its outbox."""
    instances: list = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        Watched.instances.append(self)


def behind_a_slow_transport(consumer, take):
    """The consumer's endpoint behind a transport that takes each websocket frame once `take()` returns: a
    client that reads slowly or not at all (the server's send waits, as uvicorn's does while the socket's
    buffer is full)."""
    app = URLRouter([re_path(r"^socket\.io/$", consumer)])

    async def slow(scope, receive, send):
        async def slow_send(message):
            if message["type"] == "websocket.send":
                await take()
            await send(message)

        await app(scope, receive, slow_send)

    return slow


def allocate_everywhere(nonce: int) -> None:
    """The donor moves every project's amount: each broadcast changes every project."""
    allocations = [(p, (nonce % 7 + 1 + i) * 10**15) for i, p in enumerate(PROJECTS)]  # within its budget
    services.allocate(user_address=DONOR.address, allocations=allocations, nonce=nonce,
                      signature=allocation_body(allocations, nonce=nonce)["signature"], is_manually_edited=False,
                      view=chain_view())


@override_settings(BROADCAST_MIN_INTERVAL_SECONDS=0)
async def test_a_slow_reader_skips_to_the_latest_state_and_its_queue_stays_bounded(open_window, monkeypatch):
    Watched.instances.clear()
    gate = asyncio.Event()
    gate.set()
    client = WebsocketCommunicator(behind_a_slow_transport(Watched.as_asgi(), gate.wait), URL)  # reads while open
    assert (await client.connect())[0]
    assert (await client.receive_from())[0] == "0"
    await client.send_to(text_data="40")
    assert (await client.receive_from()).startswith("40")
    await receive_frames(client, 2 + len(PROJECTS))
    consumer, = Watched.instances
    delays = []  # the delay of each broadcast to the last socket (this one), as the metrics get it
    monkeypatch.setattr(realtime.metrics, "broadcast_delivered", lambda started: delays.append(time.time() - started))

    gate.clear()  # the client stops reading
    paused = time.time()
    broadcasts = 12
    for nonce in range(broadcasts):
        await database_sync_to_async(allocate_everywhere)(nonce)
        await asyncio.sleep(0.05)  # the broadcast reaches the consumer (through Redis with REDIS_URL)
        assert len(consumer.outbox.pending()) <= 2 + len(PROJECTS)  # threshold, rewards, a project's donors each
        assert len(realtime._latest) <= 2 + len(PROJECTS)  # one copy in the process
    latest = list(realtime.state_frames(await database_sync_to_async(state_now)(projects=PROJECTS)))
    for _ in range(100):  # every broadcast has reached the outbox
        if sorted(consumer.outbox.pending()) == sorted(latest):
            break
        await asyncio.sleep(0.05)
    assert sorted(consumer.outbox.pending()) == sorted(latest)
    assert delays == []  # nothing written meanwhile

    gate.set()  # it reads again: the frame the writer was writing when it stopped, then the latest state only
    frames = [await client.receive_from(timeout=3) for _ in range(1 + len(latest))]
    assert await client.receive_nothing(timeout=0.3)
    assert frames[0] not in latest  # from the first broadcast, out of date
    assert sorted(frames[1:]) == sorted(latest)
    assert consumer.outbox.pending() == [] and realtime._latest == {}  # nothing kept once written
    # every broadcast's delay to the last socket was measured: the first one waited all the pause
    assert len(delays) == broadcasts and delays == sorted(delays, reverse=True)
    assert delays[0] >= time.time() - paused - 1 and delays[-1] >= 0
    await client.disconnect()


def test_a_frame_s_key_is_its_event_and_project():
    state = {"threshold": 5, "project_rewards": [], "project_donors": [
        {"project": PROJECTS[0], "donors_json": "[]"}, {"project": PROJECTS[1], "donors": []}]}
    assert [realtime.frame_key(f) for f in realtime.state_frames(state)] == [
        ("threshold", None), ("project_rewards", None), ("project_donors", PROJECTS[0]),
        ("project_donors", PROJECTS[1])]


@pytest.mark.django_db(transaction=False)
def test_compression_is_negotiated_when_the_client_offers_it(live_server_url):  # noqa: F811
    """The production server (scripts/serve.py: uvicorn) with the `websockets` client."""
    from websockets.sync.client import connect

    url = live_server_url.replace("http://", "ws://") + URL
    with connect(url, compression="deflate") as ws:
        assert ws.response.headers["Sec-WebSocket-Extensions"].startswith("permessage-deflate")
        assert ws.recv()[0] == "0"
        ws.send("40")
        assert ws.recv().startswith("40")
        frames = [ws.recv(timeout=5) for _ in range(2 + len(PROJECTS))]
        assert frames[1].startswith('42["project_rewards"')
    with connect(url, compression=None) as ws:
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        assert ws.recv()[0] == "0"


def test_the_interval_stretches_with_the_egress(window, a_listener):
    """Bytes of the broadcast to each socket (compressed, as browsers take them) times the sockets, over
    LIVE_EGRESS_BYTES_PER_SECOND."""
    alice, bob = USERS[:2]
    sizes = []
    original = realtime.emit_frames

    def emit(frames, **kwargs):
        sizes.append(sum(len(frame.deflated) for frame in frames))
        original(frames, **kwargs)

    with override_settings(BROADCAST_MIN_INTERVAL_SECONDS=1, LIVE_EGRESS_BYTES_PER_SECOND=100), \
            pytest.MonkeyPatch.context() as patch:
        patch.setattr(realtime, "emit_frames", emit)
        body = sign(alice, [(WINDOW_PROJECTS[0], 10**15)], 0)
        services.allocate(user_address=alice.address, allocations=[(WINDOW_PROJECTS[0], 10**15)], nonce=0,
                          signature=body["signature"], is_manually_edited=False, view=chain_view())
        assert sizes[0] > 150  # one project's donors and every project's rewards
        assert sizes[0] / 100 - 1 < realtime.broadcast_wait(epoch=EPOCH) <= sizes[0] / 100  # one socket

        async_to_sync(get_channel_layer().group_add)(realtime.GROUP, "listener.test!two")
        try:
            realtime._mark_broadcast(EPOCH, 0)  # long ago: the next one goes out at once
            body = sign(bob, [(WINDOW_PROJECTS[1], 10**15)], 0)
            services.allocate(user_address=bob.address, allocations=[(WINDOW_PROJECTS[1], 10**15)], nonce=0,
                              signature=body["signature"], is_manually_edited=False, view=chain_view())
            assert len(sizes) == 2
            assert 2 * sizes[1] / 100 - 1 < realtime.broadcast_wait(epoch=EPOCH) <= 2 * sizes[1] / 100  # two
        finally:
            async_to_sync(get_channel_layer().group_discard)(realtime.GROUP, "listener.test!two")
    with override_settings(BROADCAST_MIN_INTERVAL_SECONDS=1, LIVE_EGRESS_BYTES_PER_SECOND=0):
        realtime._mark_broadcast(EPOCH, time.time(), egress=10**9)  # no limit
        assert realtime.broadcast_wait(epoch=EPOCH) <= 1


async def test_a_reader_that_is_behind_is_kept_while_it_takes_frames(open_window):
    """The heartbeat spares a client whose pong waits behind the broadcasts it is still reading; a client
    that takes nothing and does not answer is dropped."""
    tokens = asyncio.Semaphore(0)  # one websocket frame the client takes each
    trickled = behind_a_slow_transport(SocketIOConsumer.as_asgi(ping_interval=0.3, ping_timeout=1.0),
                                       tokens.acquire)

    async def outputs() -> list[dict]:
        found = []
        while not await client.receive_nothing(timeout=0.05):
            found.append(await client.receive_output())
        return found

    client = WebsocketCommunicator(trickled, URL)
    for _ in range(2 + 2 + len(PROJECTS)):  # open, connect, the state on connect
        tokens.release()
    assert (await client.connect())[0]
    await client.send_to(text_data="40")
    await asyncio.sleep(0.2)
    assert len(await outputs()) == 2 + 2 + len(PROJECTS)
    started = time.monotonic()
    nonce = 0
    while time.monotonic() - started < 3:  # heartbeats: changes keep coming, it takes one frame of each
        await database_sync_to_async(allocate_everywhere)(nonce)
        nonce += 1
        tokens.release()
        await asyncio.sleep(0.05)
    taken = await outputs()
    assert taken and all(o["type"] == "websocket.send" for o in taken), taken  # never closed
    assert "2" in [o.get("text") for o in taken]  # pinged, never answered
    await asyncio.sleep(2.5)  # now it takes nothing: dropped
    assert (await outputs())[-1]["type"] == "websocket.close"


def test_frames_prepared_again_are_the_copy_the_process_holds():
    """Connect-time reads of their own, and broadcasts, share one prepared copy of each unchanged frame."""
    state = {"threshold": 5, "project_rewards": [], "project_donors": [
        {"project": PROJECTS[0], "donors": [{"address": DONOR.address, "amount": "1"}]}]}
    first = realtime.prepare(realtime.state_frames(state))
    again = realtime.prepare(realtime.state_frames(state))
    assert all(a is b for a, b in zip(first, again))
    state["project_donors"][0]["donors"][0]["amount"] = "2"
    changed = realtime.prepare(realtime.state_frames(state))
    assert changed[0] is first[0] and changed[2] is not first[2] and '"amount":"2"' in changed[2].text
    assert realtime.prepare(realtime.state_frames(state))[2] is changed[2]  # the newest is the one kept


async def test_a_connect_uses_a_recent_read_again_until_an_allocation_commits(open_window, monkeypatch):
    from allocations import consumers

    from .test_socketio import socket_open

    reads = []
    real = consumers.connect_frames
    monkeypatch.setattr(consumers, "connect_frames", lambda: reads.append(1) or real())
    count = 2 + len(PROJECTS)
    first = await socket_open()
    before = await receive_frames(first, count)
    second = await socket_open()
    assert await receive_frames(second, count) == before and len(reads) == 1  # nothing committed: the same read

    await database_sync_to_async(allocate_everywhere)(0)
    third = await socket_open()
    after = await receive_frames(third, count)
    assert len(reads) == 2 and after != before  # read again: the allocation is in it
    assert after == list(realtime.state_frames(await database_sync_to_async(state_now)()))

    monkeypatch.setattr(consumers.ConnectFrames, "REUSE_SECONDS", 0.0)
    fourth = await socket_open()
    assert await receive_frames(fourth, count) == after and len(reads) == 3  # too old to use again
    for client in (first, second, third, fourth):
        await client.disconnect()


def test_a_state_is_read_and_compressed_one_project_at_a_time():
    """The donor lists come from a server-side cursor a project at a time and are compressed as they come:
    preparing a state never holds its text whole (at 1,000,000 allocations 80 MB, three copies of it before)."""
    import tracemalloc

    from allocations.models import Allocation
    from allocations.selectors import projects_donors_json
    from users.models import User

    projects = [f"0x{n:040x}" for n in range(1, 41)]
    users = User.objects.bulk_create(User(address=f"0x{n:040x}") for n in range(1000, 11000))
    Allocation.objects.bulk_create(Allocation(user=user, epoch=EPOCH, nonce=0, project_address=projects[n % 40],
                                              amount=10**18 + 7919 * n) for n, user in enumerate(users))
    text = sum(len(t) for _, t in projects_donors_json(epoch=EPOCH, projects=projects))
    assert text > 800_000

    def state():
        return {"threshold": None, "project_rewards": [], "project_donors": (
            {"project": p, "donors_json": t} for p, t in projects_donors_json(epoch=EPOCH, projects=projects))}

    tracemalloc.start()
    try:
        frames = realtime.prepare(realtime.state_frames(state()))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [frame.text for frame in frames] == list(realtime.state_frames(state()))
    compressed = sum(len(frame.deflated) for frame in frames)
    assert compressed < text / 2 and peak < text, (peak, compressed, text)


async def test_the_outbox_keeps_about_a_window_unread_and_follows_the_client_s_rate():
    """A client that has not answered the ping after the last half window gets nothing more: what it has not
    read stays under about a window; its answers let the rest through, and the window follows its rate."""
    written, pings = [], []

    async def send(frames):
        written.extend(frames)

    async def ping():
        answered = asyncio.get_running_loop().create_future()
        pings.append((sum(map(len, written)), answered))
        return answered

    def unanswered():
        return [at for at, answered in pings if not answered.done()]

    frames = realtime.prepare([realtime.event_frame("project_donors", {"project": f"0x{n:040x}", "donors": [
        {"address": f"0x{n * 1000 + i:040x}", "amount": str(10**18 + i)} for i in range(100)]}) for n in range(200)])
    assert all(8_000 < len(frame) < 10_000 for frame in frames)
    outbox = realtime.Outbox(send, ping=ping)
    window = outbox.window
    outbox.put(frames)
    await asyncio.sleep(0.05)
    assert [at for at, _ in pings] == unanswered() and len(pings) == 2  # a ping each half window
    assert window <= sum(map(len, written)) < window + 10_000  # then it waits
    await asyncio.sleep(0.1)
    assert len(pings) == 2

    began, rate = time.monotonic(), 200_000  # a slow client: it reads 200 kB a second
    while time.monotonic() - began < 1.5:
        for at, answered in pings:  # it answers a ping once it has read what came before it
            if not answered.done() and began + at / rate <= time.monotonic():
                answered.set_result(time.monotonic())
        await asyncio.sleep(0.01)
    assert abs(outbox.window - rate * outbox.UNREAD_SECONDS) < 0.25 * rate * outbox.UNREAD_SECONDS
    assert sum(map(len, written)) - rate * (time.monotonic() - began) < outbox.window + 10_000  # unread

    while len(written) < len(frames):  # a fast one: it answers at once; the window grows back
        for _, answered in pings:
            if not answered.done():
                answered.set_result(time.monotonic())
        await asyncio.sleep(0.01)
    assert written == frames and outbox.window > window
    outbox.close()
