"""Frames prepared once for many sockets (octant.web.websocket), through uvicorn serving with our protocol on a
loopback port and the `websockets` client: with and without permessage-deflate, a frame larger than a chunk
(inflated once for the sockets without compression), other messages and the client's pings kept out of a frame
that is being written."""
import asyncio
import hashlib
import json
import socket
import threading
import time

import pytest
import uvicorn
from websockets.sync.client import connect

import pickle

from octant.web.websocket import CHUNK, SEND_PREPARED, PreparedFrame, Protocol

BIG = "42" + json.dumps(["project_donors", {"project": "0x" + "ab" * 20, "donors": [
    {"address": "0x" + hashlib.sha1(b"%d" % i).hexdigest(), "amount": str(10**18 + i * 7919)} for i in range(6000)]}])
SMALL = '42["threshold",{"threshold":"0"}]'


async def app(scope, receive, send):
    """Sends the big frame (prepared) while another task sends small texts; answers "extensions?"."""
    assert (await receive())["type"] == "websocket.connect"
    await send({"type": "websocket.accept"})
    await receive()  # the client's "go"
    frame = PreparedFrame(BIG)

    async def small_ones():
        for i in range(20):
            await send({"type": "websocket.send", "text": f"{SMALL}{i}"})
            await asyncio.sleep(0)

    others = asyncio.create_task(small_ones())
    await send({"type": SEND_PREPARED, "frames": [frame]})
    pieces = scope["extensions"][SEND_PREPARED]["progress"]()
    await send({"type": SEND_PREPARED, "frames": [PreparedFrame(SMALL), PreparedFrame(SMALL + "!")]})
    await others
    await send({"type": "websocket.send", "text": json.dumps([sorted(scope["extensions"]), pieces])})
    await receive()


class Tight(Protocol):
    """Small socket and transport buffers: a big frame is written over many turns of the event loop, each
    waiting for room, as to a slow reader."""

    def connection_made(self, transport):
        super().connection_made(transport)
        transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        transport.set_write_buffer_limits(high=4096)


@pytest.fixture(scope="module")
def server_url():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, ws=f"{__name__}:Tight",
                            ws_per_message_deflate=True, ws_ping_interval=None, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"ws://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(timeout=10)


def test_the_big_frame_is_larger_than_a_chunk_even_compressed():
    assert len(BIG) > 4 * CHUNK and len(PreparedFrame(BIG).deflated) > 2 * CHUNK


@pytest.mark.parametrize("compression", ["deflate", None])
def test_prepared_frames_arrive_whole_and_in_order(server_url, compression):
    with connect(server_url, compression=compression, max_size=None, ping_interval=None) as ws:
        extensions = ws.response.headers.get("Sec-WebSocket-Extensions")
        if compression:
            assert "permessage-deflate" in extensions and "server_no_context_takeover" in extensions
        else:
            assert extensions is None
        ws.send("go")
        pong = ws.ping()
        received = [ws.recv(timeout=10) for _ in range(24)]
        assert pong.wait(10)
    extensions, pieces = json.loads(received[-1])
    assert extensions == sorted(["websocket.http.response", SEND_PREPARED])
    assert pieces >= len(PreparedFrame(BIG).deflated if compression else BIG) // CHUNK >= 2  # the big frame's
    frames = received[:-1]
    assert BIG in frames and frames.count(SMALL) == 1
    assert frames.index(BIG) < frames.index(SMALL) == frames.index(SMALL + "!") - 1  # in the order sent
    assert [f for f in frames if f not in (BIG, SMALL, SMALL + "!")] == [f"{SMALL}{i}" for i in range(20)]


def test_a_ping_inside_a_frame_is_answered_after_it(server_url):
    """A client that stops reading while the big frame is written, then pings: the pong follows the frame."""
    from websockets.client import ClientProtocol
    from websockets.frames import Opcode
    from websockets.uri import parse_uri

    client = ClientProtocol(parse_uri(server_url), max_size=None)
    client.send_request(client.connect())
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", int(server_url.rsplit(":", 1)[1].strip("/"))))
    sock.settimeout(10)
    sock.sendall(b"".join(client.data_to_send()))
    client.receive_data(sock.recv(65536))  # the handshake's answer
    client.send_text(b"go")
    sock.sendall(b"".join(client.data_to_send()))
    time.sleep(0.3)  # the buffers fill up; the server waits inside the big frame
    client.send_ping(b"inside")
    sock.sendall(b"".join(client.data_to_send()))
    frames = []
    while len([f for f in frames if f.opcode is Opcode.TEXT]) < 24:
        client.receive_data(sock.recv(65536))
        assert client.parser_exc is None, client.parser_exc
        frames += [event for event in client.events_received() if hasattr(event, "opcode")]
    sock.close()
    kinds = [(f.opcode, f.data.decode()) for f in frames]
    assert (Opcode.TEXT, BIG) in kinds and (Opcode.PONG, "inside") in kinds
    assert kinds.index((Opcode.TEXT, BIG)) < kinds.index((Opcode.PONG, "inside"))


def test_several_sockets_get_the_same_compressed_frame(server_url):
    """Two compressing sockets at once, each starting its own stream: the frame compressed once serves both."""
    sockets = [connect(server_url, compression="deflate", max_size=None, ping_interval=None) for _ in range(2)]
    try:
        for ws in sockets:
            ws.send("go")
        for ws in sockets:
            assert BIG in [ws.recv(timeout=10) for _ in range(24)]
    finally:
        for ws in sockets:
            ws.close()


def test_a_prepared_frame_is_kept_compressed_and_plain_only_once_asked_for():
    frame = PreparedFrame(BIG, key=("project_donors", "p"))
    assert len(frame) == len(BIG.encode()) and frame.key == ("project_donors", "p") and frame._plain is None
    assert len(frame.deflated) < len(BIG) / 2
    assert frame.wire(deflate=True) is frame.deflated and frame._plain is None
    plain = frame.wire(deflate=False)
    assert plain[:2] == bytes([0x81, 127]) and int.from_bytes(plain[2:10], "big") == len(BIG)
    assert plain[10:] == BIG.encode()
    assert frame.plain() is plain and frame.text == BIG  # inflated once
    copy = pickle.loads(pickle.dumps(frame))  # as a broadcast stored in the cache: the compressed frame only
    assert copy.deflated == frame.deflated and copy.key == frame.key and copy._plain is None and copy.text == BIG
    small = PreparedFrame(SMALL)
    assert small.wire(deflate=False) == bytes([0x81, len(SMALL)]) + SMALL.encode()
    assert PreparedFrame("").text == ""
