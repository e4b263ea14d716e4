"""A Redis outage keeps the websockets (issue 25, item 9): the consumer retries the channel layer with backoff
instead of failing, joins the broadcast group again once Redis is back (a restarted Redis has lost it), and
the next broadcast reaches it. A real redis-server on a spare loopback port, stopped and started again while
Channels' communicator is connected."""
import socket
import subprocess
import time

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings

from allocations import consumers, realtime

from .test_socketio import socket_open

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(port: int) -> subprocess.Popen:
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            assert server.poll() is None and time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def redis_port(monkeypatch):
    """A redis-server of the test's own as the channel layer (the fixture stops what the test left running)."""
    port = free_port()
    servers = [start_redis(port)]
    monkeypatch.setattr(consumers, "LAYER_RETRY_MAX", 1.0)  # the test waits less for the retry
    layers = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                          "CONFIG": {"hosts": [f"redis://127.0.0.1:{port}/0"], "group_expiry": 300}}}
    with override_settings(CHANNEL_LAYERS=layers):
        yield port, servers
    for server in servers:
        if server.poll() is None:
            stop(server)


async def test_a_redis_outage_keeps_the_socket_and_broadcasts_resume(scheduled_chain, redis_port):
    port, servers = redis_port
    client = await socket_open()  # joined the group: nothing else is sent outside an allocation window
    await database_sync_to_async(realtime.emit_frames)(realtime.prepare(['42["before",1]']))
    assert await client.receive_from(timeout=5) == '42["before",1]'

    stop(servers[0])  # Redis goes away (and, with no persistence, the group with it)
    await client.send_to(text_data="2")
    assert await client.receive_from(timeout=5) == "3"  # the socket stays and answers
    assert await client.receive_nothing(timeout=1.5)  # the layer is retried meanwhile, not given up on
    await client.send_to(text_data="2")
    assert await client.receive_from(timeout=5) == "3"

    servers.append(start_redis(port))  # Redis returns, empty
    deadline = time.monotonic() + 15
    while True:  # until the socket has joined the group again: it retries at most LAYER_RETRY_MAX apart
        await database_sync_to_async(realtime.emit_frames)(realtime.prepare(['42["after",2]']))
        if not await client.receive_nothing(timeout=0.5):
            break
        assert time.monotonic() < deadline, "no broadcast reached the socket after Redis returned"
    assert await client.receive_from() == '42["after",2]'
    await client.disconnect()
