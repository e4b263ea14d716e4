"""At most SOCKETS_PER_IP open websockets per client IP (issue 25, item 4): the next one is closed at once with
1013 and a reason, the open ones stay, and a socket that closes frees its place. Through the production
server (uvicorn, octant.asgi) with a stock websocket client, and the wrapper itself with Channels' communicator."""
import asyncio
import time

import pytest
from channels.testing import WebsocketCommunicator
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from octant.web.asgi import SocketLimit

from tests.allocations.test_socketio import live_server_url  # noqa: F401 - the fixture

URL = "/socket.io/?EIO=4&transport=websocket"


def opened_within(address: str, seconds: float):
    deadline = time.monotonic() + seconds
    while True:
        socket = connect(address)
        try:
            assert socket.recv(timeout=5).startswith("0{")
            return socket
        except ConnectionClosed:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.parametrize("live_server_url", [{"SOCKETS_PER_IP": "2"}], indirect=True)
def test_the_server_refuses_a_socket_over_the_limit_per_ip(live_server_url):  # noqa: F811
    address = live_server_url.replace("http://", "ws://") + URL
    first, second = connect(address), connect(address)
    for socket in (first, second):
        assert socket.recv(timeout=5).startswith("0{")  # the Engine.IO open packet
    third = connect(address)
    with pytest.raises(ConnectionClosed) as closed:
        third.recv(timeout=5)
    assert closed.value.rcvd.code == 1013
    assert closed.value.rcvd.reason == "Too many open connections from this address (at most 2)"
    first.send("2")
    assert first.recv(timeout=5) == "3"  # the open ones stay
    second.close()
    fourth = opened_within(address, 5)  # a place freed, once the server has seen the close
    for socket in (first, fourth):
        socket.close()


async def test_the_limit_counts_per_ip(settings):
    settings.SOCKETS_PER_IP = 1
    opened = asyncio.Event()

    async def echo(scope, receive, send):
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        opened.set()
        while (await receive())["type"] != "websocket.disconnect":
            pass

    app = SocketLimit(echo)

    def socket(ip):
        communicator = WebsocketCommunicator(app, URL)
        communicator.scope["client"] = (ip, 40000)
        return communicator

    first, other, extra = socket("10.0.0.1"), socket("10.0.0.2"), socket("10.0.0.1")
    assert (await first.connect())[0] and (await other.connect())[0]
    assert await extra.connect() == (True, None)
    assert await extra.receive_output() == {"type": "websocket.close", "code": 1013,
                                            "reason": "Too many open connections from this address (at most 1)"}
    assert app.open == {"10.0.0.1": 1, "10.0.0.2": 1}
    await first.disconnect()
    await other.disconnect()
    assert app.open == {}
