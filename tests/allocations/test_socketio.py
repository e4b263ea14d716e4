"""The Socket.IO endpoint (docs/lifecycle.md §10.3): the protocol through Channels' communicator, the allocate event with a
real EIP-712 signature and the broadcast to every client, and a stock python-socketio client against the
production server (scripts/serve.py: uvicorn)."""
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import override_settings
from django.urls import re_path
from eth_account import Account

from allocations import apis, realtime, selectors, services
from allocations.consumers import SocketIOConsumer
from allocations.selectors import socket_payload
from epochs.selectors import chain_view
from octant.chain.backends import get_chain
from octant.core.signatures import allocation_typed_data
from octant.routing import websocket_urlpatterns

from tests.fixtures import window as window_fixture
from tests.fixtures.chain import DURATION, START, WINDOW, take_pending_snapshot

pytestmark = pytest.mark.django_db(transaction=True)

ETH = GLM = 10**18
DONOR = Account.from_key("0x" + "42" * 32)
STRANGER = Account.from_key("0x" + "43" * 32)
PROJECTS = ["0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222",
            "0x3333333333333333333333333333333333333333"]
URL = "/socket.io/?EIO=4&transport=websocket"
ROOT = Path(__file__).resolve().parents[2]


def seed_open_window() -> None:
    """Epoch 1 with three projects and one locker, the clock in epoch 1's allocation window, the pending
    snapshot taken. Also run inside the server test's subprocess."""
    chain = get_chain()
    chain.set_time(timestamp=START - 100)
    chain.configure(start=START, duration=DURATION, decision_window=WINDOW)
    chain.set_proceeds(1, 10 * ETH)
    for address in PROJECTS:
        chain.add_project(1, address)
    chain.set_time(timestamp=START + 10)
    chain.lock(DONOR.address, 100_000 * GLM)
    chain.set_time(timestamp=START + DURATION + 10)
    assert take_pending_snapshot() == 1


def allocation_body(allocations, *, nonce=0, account=DONOR) -> dict:
    payload = {"allocations": [{"proposalAddress": p, "amount": str(a)} for p, a in allocations], "nonce": nonce}
    typed_data = allocation_typed_data(payload, chain_id=settings.CHAIN_ID)
    signed = Account.sign_typed_data(account.key, full_message=typed_data)
    return {"userAddress": DONOR.address, "payload": payload, "signature": "0x" + bytes(signed.signature).hex(),
            "isManuallyEdited": False}


def state_now(projects=None) -> dict | None:
    """What clients are sent (allocations.selectors.socket_payload) on a view of the chain read now, its donor
    lists read (they are read lazily, on the thread that takes them)."""
    state = socket_payload(view=chain_view(), projects=projects)
    return state and {**state, "project_donors": list(state["project_donors"])}


def event(frame: str):
    assert frame.startswith("42"), frame
    return json.loads(frame[2:])


async def engine_open(app=None, url=URL) -> WebsocketCommunicator:
    """A websocket through the Engine.IO handshake: returns the communicator after the open packet."""
    client = WebsocketCommunicator(app or URLRouter(websocket_urlpatterns), url)
    connected, _ = await client.connect()
    assert connected
    opened = await client.receive_from()
    assert opened[0] == "0"
    handshake = json.loads(opened[1:])
    assert handshake.keys() == {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}
    return client


async def socket_open(app=None) -> WebsocketCommunicator:
    """Engine.IO open, then Socket.IO connect to the default namespace."""
    client = await engine_open(app)
    await client.send_to(text_data="40")
    reply = await client.receive_from()
    assert reply.startswith("40") and json.loads(reply[2:])["sid"]
    return client


async def receive_frames(client, count: int) -> list[str]:
    return [await client.receive_from(timeout=3) for _ in range(count)]


@pytest.fixture
def open_window(db):
    seed_open_window()


async def test_handshake_namespace_and_nothing_sent_while_closed(scheduled_chain):
    client = await engine_open()
    await client.send_to(text_data="40/admin,")
    assert await client.receive_from() == '44/admin,{"message": "Invalid namespace"}'
    await client.send_to(text_data="40")
    assert (await client.receive_from()).startswith('40{"sid": "')
    assert await client.receive_nothing(timeout=0.2)  # no allocation window: no events
    await client.send_to(text_data='427["unknown"]')
    assert await client.receive_from() == "437[]"
    await client.disconnect()


async def test_open_packet_values():
    client = WebsocketCommunicator(URLRouter(websocket_urlpatterns), URL)
    await client.connect()
    opened = json.loads((await client.receive_from())[1:])
    assert opened["upgrades"] == [] and len(opened["sid"]) >= 16
    assert (opened["pingInterval"], opened["pingTimeout"], opened["maxPayload"]) == (25000, 20000, 1000000)
    await client.disconnect()


async def test_other_engine_io_versions_are_refused_with_a_reason():
    client = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/socket.io/?EIO=3&transport=websocket")
    connected, _ = await client.connect()
    assert connected
    closed = await client.receive_output()
    assert closed["type"] == "websocket.close" and closed["code"] == 1008 and "EIO=4" in closed["reason"]
    await client.disconnect()


async def test_server_pings_and_drops_a_silent_client():
    app = URLRouter([re_path(r"^socket\.io/$", SocketIOConsumer.as_asgi(ping_interval=0.05, ping_timeout=0.2))])
    client = await engine_open(app)
    for _ in range(2):
        assert await client.receive_from() == "2"
        await client.send_to(text_data="3")
    assert await client.receive_from() == "2"  # left unanswered
    closed = await client.receive_output(timeout=1)
    assert closed["type"] == "websocket.close"
    await client.disconnect()


async def test_connect_time_events_when_the_window_is_open(open_window):
    client = await socket_open()
    frames = await receive_frames(client, 2 + len(PROJECTS))
    assert await client.receive_nothing(timeout=0.1)
    names = [event(f)[0] for f in frames]
    assert names == ["threshold", "project_rewards"] + ["project_donors"] * len(PROJECTS)
    assert event(frames[0])[1] == {"threshold": "0"}
    assert [r["address"] for r in event(frames[1])[1]] == PROJECTS
    assert {r["allocated"] for r in event(frames[1])[1]} == {"0"}
    assert [event(f)[1] for f in frames[2:]] == [{"project": p, "donors": []} for p in PROJECTS]
    await client.disconnect()


async def test_only_the_threshold_on_connect_before_the_pending_snapshot(scheduled_chain):
    await database_sync_to_async(scheduled_chain.set_time)(timestamp=START + DURATION + 10)  # window open
    client = await socket_open()
    assert event(await client.receive_from()) == ["threshold", {"threshold": "0"}]  # epoch 1: a number
    assert await client.receive_nothing(timeout=0.2)  # the rewards need the snapshot, as in the reference
    await client.disconnect()
    with override_settings(EPOCH_RULES="current"):  # today's rules: no threshold, "0" (the reference: "None")
        client = await socket_open()
        assert event(await client.receive_from()) == ["threshold", {"threshold": "0"}]
        await client.disconnect()


async def test_allocate_acks_and_every_client_gets_the_update(open_window):
    sender, watcher = await socket_open(), await socket_open()
    for client in (sender, watcher):
        await receive_frames(client, 2 + len(PROJECTS))

    body = allocation_body([(PROJECTS[0], 3 * 10**15), (PROJECTS[2], 10**15)])
    await sender.send_to(text_data="4215" + json.dumps(["allocate", json.dumps(body)]))
    assert event(await sender.receive_from(timeout=5)) == ["threshold", {"threshold": str(4 * 10**15 // 6)}]  # own
    assert await sender.receive_from(timeout=5) == "4315[]"

    expected = await database_sync_to_async(state_now)(projects=[PROJECTS[0], PROJECTS[2]])
    for client in (sender, watcher):
        frames = await receive_frames(client, 4)
        assert frames == list(realtime.state_frames(expected))
        assert await client.receive_nothing(timeout=0.1)
    rewards = {r["address"]: r["allocated"] for r in event(frames[1])[1]}
    assert rewards == {PROJECTS[0]: str(3 * 10**15), PROJECTS[1]: "0", PROJECTS[2]: str(10**15)}
    assert event(frames[2])[1] == {"project": PROJECTS[0], "donors": [{"address": DONOR.address,
                                                                        "amount": str(3 * 10**15)}]}
    assert event(frames[3])[1]["project"] == PROJECTS[2]
    for client in (sender, watcher):
        await client.disconnect()


@pytest.mark.parametrize("payload, message", [
    ("not json", r"Invalid request: JSON parse error - .+"),
    (lambda: json.dumps(allocation_body([(PROJECTS[0], 10**15)], account=STRANGER)),
     r"Given signature 0x[0-9a-f]{130} is invalid or does not belong to " + DONOR.address),
    (lambda: json.dumps({k: v for k, v in allocation_body([(PROJECTS[0], 1)]).items() if k != "isManuallyEdited"}),
     r"Invalid request: isManuallyEdited: This field is required\."),
    (lambda: allocation_body([(PROJECTS[0], 1)], nonce=5),  # an object, not a string, is accepted too
     r"Attempt to use wrong value of nonce \(5 instead of 0\) when signing allocations"),
])
async def test_a_failed_allocate_tells_the_sender_only(open_window, payload, message):
    sender, watcher = await socket_open(), await socket_open()
    for client in (sender, watcher):
        await receive_frames(client, 2 + len(PROJECTS))
    await sender.send_to(text_data="423" + json.dumps(["allocate", payload() if callable(payload) else payload]))
    name, data = event(await sender.receive_from(timeout=5))
    assert name == "exception" and re.fullmatch(message, data["message"]), data
    assert await sender.receive_from() == "433[]"
    assert await watcher.receive_nothing(timeout=0.2)
    for client in (sender, watcher):
        await client.disconnect()


async def test_an_unexpected_error_keeps_the_connection(open_window, monkeypatch):
    def boom(data):
        raise RuntimeError("boom")

    monkeypatch.setattr(apis, "allocate_from_request", boom)
    client = await socket_open()
    await receive_frames(client, 2 + len(PROJECTS))
    await client.send_to(text_data='421["allocate","{}"]')
    assert event(await client.receive_from()) == ["exception", {"message": "An unexpected error has occurred"}]
    assert await client.receive_from() == "431[]"
    await client.send_to(text_data='422["allocate"]')
    assert event(await client.receive_from())[0] == "exception"
    await client.disconnect()


async def test_namespace_disconnect_leaves_the_broadcast(open_window):
    client = await socket_open()
    await receive_frames(client, 2 + len(PROJECTS))
    await client.send_to(text_data="41")
    await database_sync_to_async(lambda: realtime.broadcast_project_updates(epoch=1, view=chain_view()))()
    assert await client.receive_nothing(timeout=0.2)
    await client.disconnect()


@pytest.mark.skipif(not settings.REDIS_URL, reason="the sync-code path that closes pools is the Redis layer's")
async def test_broadcast_from_plain_sync_code_through_redis(open_window):
    """As from a Celery worker: a thread with no event loop of its own, twice (no "Event loop is closed")."""
    client = await socket_open()
    await receive_frames(client, 2 + len(PROJECTS))
    view = await database_sync_to_async(chain_view)()
    for _ in range(2):
        await asyncio.to_thread(realtime.broadcast_project_updates, epoch=1, view=view, projects=[PROJECTS[1]])
        assert [event(f)[0] for f in await receive_frames(client, 3)] == ["threshold", "project_rewards",
                                                                          "project_donors"]
    await client.disconnect()


async def test_simultaneous_connects_share_a_state_read(open_window, monkeypatch):
    calls = []

    def counting_socket_payload(**kwargs):
        calls.append(kwargs)
        return socket_payload(**kwargs)

    monkeypatch.setattr(selectors, "socket_payload", counting_socket_payload)
    clients = [await engine_open() for _ in range(6)]
    for client in clients:
        await client.send_to(text_data="40")
    for client in clients:
        frames = await receive_frames(client, 1 + 2 + len(PROJECTS))
        assert frames[0].startswith("40") and [event(f)[0] for f in frames[1:3]] == ["threshold", "project_rewards"]
        await client.disconnect()
    assert 1 <= len(calls) < len(clients)


def test_frames_are_batched_in_order():
    frames = ["a" * 5, "b" * 5, "c" * 12, "d"]
    assert realtime.batches(frames, limit=10) == [["aaaaa", "bbbbb"], ["c" * 12], ["d"]]


def test_a_none_threshold_is_left_out_of_broadcasts_only():
    state = {"threshold": None, "project_rewards": [], "project_donors": [{"project": PROJECTS[0], "donors": []}]}
    assert [event(f) for f in realtime.state_frames(state)][:2] == [["threshold", {"threshold": "0"}],
                                                                    ["project_rewards", []]]
    assert [event(f)[0] for f in realtime.state_frames(state, skip_none_threshold=True)] == [
        "project_rewards", "project_donors"]
    for threshold in (5, 0):  # a threshold of 0 (epochs 1-3, nothing allocated yet) is one: it goes out
        state["threshold"] = threshold
        assert event(next(realtime.state_frames(state, skip_none_threshold=True))) == [
            "threshold", {"threshold": str(threshold)}]


async def test_an_epoch_without_a_threshold_sends_zero_not_none(window, api):
    """Epoch 4 of the mainnet history has no threshold (HTTP: null). The reference sends the string "None"
    on the socket, and Octant's web client, which runs BigInt() on it, greys every project until a reload;
    this server sends "0", what the client makes of the HTTP null (docs/websockets-api.yaml)."""
    epoch, projects, user = window_fixture.EPOCH, window_fixture.PROJECTS, window_fixture.USERS[0]
    assert epoch >= 4 and await database_sync_to_async(selectors.epoch_threshold)(epoch=epoch) is None
    answer = await database_sync_to_async(api.get)(f"/rewards/threshold/{epoch}")
    assert answer.json() == {"threshold": None}  # the HTTP wire stays the reference's
    client = await socket_open()
    frames = await receive_frames(client, 2 + len(projects))
    assert event(frames[0]) == ["threshold", {"threshold": "0"}]
    assert [event(f)[0] for f in frames[1:]] == ["project_rewards"] + ["project_donors"] * len(projects)

    body = window_fixture.sign(user, [(projects[0], 10**15)], 0)
    await client.send_to(text_data="421" + json.dumps(["allocate", json.dumps(body)]))
    assert event(await client.receive_from(timeout=5)) == ["threshold", {"threshold": "0"}]  # its own
    assert await client.receive_from(timeout=5) == "431[]"
    broadcast = await receive_frames(client, 2)  # no threshold in it: the epoch's never changes
    assert [event(f)[0] for f in broadcast] == ["project_rewards", "project_donors"]
    assert event(broadcast[1])[1]["project"] == projects[0]
    assert await client.receive_nothing(timeout=0.1)
    await client.disconnect()


# --- a stock client against the production server (uvicorn) ---------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server_url(tmp_path, request, scratch_database_url):
    """The production server (scripts/serve.py, one process) on a free loopback port, on a migrated and seeded
    throwaway database and the in-memory channel layer; an indirect parameter adds environment variables."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "octant.settings.test", "REDIS_URL": "",
           "DATABASE_URL": scratch_database_url, **getattr(request, "param", {})}
    seed = ("import django; django.setup(); from django.core.management import call_command; "
            "call_command('migrate', verbosity=0); "
            "from tests.allocations.test_socketio import seed_open_window; seed_open_window()")
    subprocess.run([sys.executable, "-c", seed], cwd=ROOT, env=env, check=True, timeout=60)
    port, log = _free_port(), tmp_path / "server.log"
    server = subprocess.Popen([sys.executable, "scripts/serve.py", "--host", "127.0.0.1", "--port", str(port),
                               "--processes", "1"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
        print(log.read_text())  # shown when the test fails


@pytest.mark.django_db(transaction=False)
def test_stock_socketio_client_over_websocket(live_server_url):
    import socketio

    received, done = [], threading.Event()
    expected_on_connect = 2 + len(PROJECTS)

    client = socketio.Client(reconnection=False)
    for name in ("threshold", "project_rewards", "project_donors", "exception"):
        client.on(name, lambda data, name=name: (received.append((name, data)),
                                                 len(received) >= expected_on_connect and done.set()))
    client.connect(live_server_url, transports=["websocket"], wait_timeout=10)
    try:
        assert client.transport() == "websocket"
        assert done.wait(10), received
        assert [name for name, _ in received] == ["threshold", "project_rewards"] + ["project_donors"] * 3
        assert received[0][1] == {"threshold": "0"}

        done.clear()
        expected_on_connect += 4  # its own threshold, then the broadcast: threshold, rewards, one project's donors
        body = allocation_body([(PROJECTS[1], 10**15)])
        assert client.call("allocate", json.dumps(body), timeout=10) is None  # acked with no arguments
        assert done.wait(10), received
        after = received[5:]
        assert [name for name, _ in after] == ["threshold", "threshold", "project_rewards", "project_donors"]
        assert after[0][1] == after[1][1] == {"threshold": str(10**15 // 6)}  # T / (3 projects x 2), epoch 1
        assert received[-1] == ("project_donors", {"project": PROJECTS[1],
                                                   "donors": [{"address": DONOR.address, "amount": str(10**15)}]})
    finally:
        client.disconnect()


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize("live_server_url", [{"EPOCH_RULES": "current"}], indirect=True)
def test_stock_client_gets_its_none_threshold_after_allocating(live_server_url):
    """Today's rules (capped QF from epoch 1): no threshold, sent as "0" (the reference: "None"). The sender
    gets it after its allocation, as from the reference; a watching client gets the broadcast only."""
    import socketio

    clients, events = [], {}
    for name in ("sender", "watcher"):
        client, seen = socketio.Client(reconnection=False), []
        for kind in ("threshold", "project_rewards", "project_donors", "exception"):
            client.on(kind, lambda data, kind=kind, seen=seen: seen.append((kind, data)))
        client.connect(live_server_url, transports=["websocket"], wait_timeout=10)
        clients.append(client)
        events[name] = seen
    try:
        deadline = time.monotonic() + 10
        while min(len(seen) for seen in events.values()) < 2 + len(PROJECTS) and time.monotonic() < deadline:
            time.sleep(0.05)
        for seen in events.values():
            assert seen[0] == ("threshold", {"threshold": "0"}), seen
            seen.clear()
        assert clients[0].call("allocate", json.dumps(allocation_body([(PROJECTS[0], 10**15)])), timeout=10) is None
        while (len(events["sender"]) < 3 or len(events["watcher"]) < 2) and time.monotonic() < deadline + 10:
            time.sleep(0.05)
        time.sleep(0.2)
        assert [kind for kind, _ in events["sender"]] == ["threshold", "project_rewards", "project_donors"]
        assert events["sender"][0][1] == {"threshold": "0"}
        assert [kind for kind, _ in events["watcher"]] == ["project_rewards", "project_donors"]
        assert events["sender"][1:] == events["watcher"]
    finally:
        for client in clients:
            client.disconnect()


def test_a_change_after_the_broadcast_read_stays_for_the_next_one(open_window, monkeypatch, a_listener):
    """A version that moves while a broadcast is being built is not marked as sent."""
    from django.db.models import F

    from allocations.models import ProjectFunding

    services.allocate(user_address=DONOR.address, allocations=[(PROJECTS[0], 2)], nonce=0,
                      signature=allocation_body([(PROJECTS[0], 2)])["signature"], is_manually_edited=False,
                      view=chain_view())
    view = chain_view()
    assert realtime.broadcast_changes(epoch=1, view=view) == 0  # sent after the commit already

    def build_while_another_allocation_lands(**kwargs) -> int:
        ProjectFunding.objects.filter(project_address=PROJECTS[0]).update(version=F("version") + 1)
        return 0  # bytes sent to each socket

    build_while_another_allocation_lands()
    monkeypatch.setattr(realtime, "broadcast_project_updates", build_while_another_allocation_lands)
    assert realtime.broadcast_changes(epoch=1, view=view) == 1
    assert realtime.broadcast_changes(epoch=1, view=view) == 1  # still pending, sent again
    monkeypatch.setattr(realtime, "broadcast_project_updates", lambda **kwargs: 0)
    assert realtime.broadcast_changes(epoch=1, view=view) == 1 and realtime.broadcast_changes(epoch=1, view=view) == 0


def test_socket_payload_reads_the_donors_of_several_projects_at_once(open_window):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.allocate(user_address=DONOR.address, allocations=[(PROJECTS[0], 2), (PROJECTS[2], 1)], nonce=0,
                      signature=allocation_body([(PROJECTS[0], 2), (PROJECTS[2], 1)])["signature"],
                      is_manually_edited=False, view=chain_view())
    assert selectors.projects_donors(epoch=1, projects=PROJECTS) == {
        PROJECTS[0]: [(DONOR.address, 2)], PROJECTS[1]: [], PROJECTS[2]: [(DONOR.address, 1)]}
    counts, view = [], chain_view()
    for projects in ([PROJECTS[0]], None):
        with CaptureQueriesContext(connection) as queries:
            state = socket_payload(view=view, projects=projects)
            state["project_donors"] = list(state["project_donors"])
        counts.append(len(queries))
    assert [d["project"] for d in state["project_donors"]] == PROJECTS
    assert counts[1] == counts[0] + 1  # all three projects: only the project list is read besides
