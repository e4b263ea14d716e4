"""Websocket messages framed once for all the sockets of a process (the live updates' broadcasts).

A broadcast frame goes to every socket as the same bytes. Through the plain ASGI `websocket.send`, each of
1,000 sockets would encode it, compress it with its own zlib stream (permessage-deflate keeps one per
socket) and frame it again: about 0.3 ms of CPU for a project's 9 kB donor list, so 40,000 such writes a
second took every core. Here the server negotiates permessage-deflate with `server_no_context_takeover`
(RFC 7692, section 7.1.1.1, lets a server ask for it whatever the client offered), so every message it sends is
compressed on its own and the same compressed bytes suit every socket: `PreparedFrame` frames a message
once, plain, and compresses it once, on the first socket that takes it compressed.

`Protocol`, uvicorn's websocket protocol (the `websockets` library's sans-I/O one) with that negotiation,
offers the ASGI extension SEND_PREPARED: a message `{"type": SEND_PREPARED, "frames": [PreparedFrame, ...]}`
writes the frames as they are, together (one system call for many small frames), in CHUNK-sized pieces, each
once the socket's transport buffer has room, so a slow reader holds at most about a chunk of a large frame
in memory, never the frame. The extension's `progress()` counts the pieces written, so that a heartbeat can
tell a reader still taking a large frame from one that takes nothing. Nothing else is written
inside a frame: every send waits for the one before it, and a ping or a close from the client is answered
once the frame is out. `scripts/serve.py` serves with it; other servers (tests' communicator, runserver)
have no such extension, and the consumer sends the frame's text instead (`allocations.consumers`)."""
import asyncio

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.extensions.permessage_deflate import PerMessageDeflate, ServerPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.server import ServerProtocol

SEND_PREPARED = "octant.websocket.send_prepared"
CHUNK = 64 * 1024  # bytes written at a time: at most about this much of a frame waits in a socket's buffer
WINDOW_BITS = 12  # the compression window both ways: about 30 kB of zlib state while a message is (de)compressed
COMPRESS_SETTINGS = {"memLevel": 5}
IN_A_THREAD = 256 * 1024  # a larger frame is compressed off the event loop (zlib lets go of the GIL)


def deflate_factory() -> ServerPerMessageDeflateFactory:
    return ServerPerMessageDeflateFactory(server_no_context_takeover=True, server_max_window_bits=WINDOW_BITS,
                                          client_max_window_bits=WINDOW_BITS, compress_settings=COMPRESS_SETTINGS)


def _deflate() -> PerMessageDeflate:
    """The server side of a negotiated permessage-deflate without context: a new compressor each message."""
    return PerMessageDeflate(False, True, WINDOW_BITS, WINDOW_BITS, COMPRESS_SETTINGS)


class PreparedFrame:
    """A text message for many sockets: kept framed (plain), and compressed once when first needed. `key`:
    what the caller knows it by."""

    __slots__ = ("key", "plain", "_head", "_deflated", "_deflating", "__weakref__")

    def __init__(self, text: str, *, key=None):
        self.key = key
        payload = text.encode()
        self.plain = Frame(Opcode.TEXT, payload).serialize(mask=False)
        self._head = len(self.plain) - len(payload)
        self._deflated: bytes | None = None
        self._deflating: asyncio.Future | None = None

    def carries(self, text: str) -> bool:
        """Whether this is the frame of `text`."""
        return memoryview(self.plain)[self._head:] == text.encode()

    @property
    def text(self) -> str:
        return bytes(memoryview(self.plain)[self._head:]).decode()

    def __len__(self) -> int:
        return len(self.plain) - self._head

    def deflated(self) -> bytes:
        """The frame compressed (the first call compresses it)."""
        if self._deflated is None:
            payload = bytes(memoryview(self.plain)[self._head:])
            self._deflated = Frame(Opcode.TEXT, payload).serialize(mask=False, extensions=[_deflate()])
        return self._deflated

    async def wire(self, *, deflate: bool) -> bytes:
        """The bytes to write to a socket that did (not) negotiate permessage-deflate. A large frame is
        compressed in a thread, once however many sockets wait for it."""
        if not deflate:
            return self.plain
        if self._deflated is not None or len(self.plain) < IN_A_THREAD:
            return self.deflated()
        if self._deflating is None or self._deflating.get_loop() is not asyncio.get_running_loop():
            self._deflating = asyncio.ensure_future(asyncio.to_thread(self.deflated))
        await asyncio.shield(self._deflating)
        self._deflating = None
        return self.deflated()


class Protocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O websocket protocol, with permessage-deflate without server context and the
    SEND_PREPARED extension (see the module)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.config.ws_per_message_deflate:
            self.conn = ServerProtocol(extensions=[deflate_factory()], max_size=self.config.ws_max_size,
                                       logger=self.conn.logger)
        self.sending = asyncio.Lock()  # one message at a time: a prepared frame waits between its chunks
        self.inside_frame = False
        self.chunks = 0  # pieces of prepared frames written so far: a reader still taking a large frame moves it
        self.after_frame: list = []  # answers to the client's pings and close, held while a frame is written

    def handle_connect(self, event) -> None:
        super().handle_connect(event)
        if self.response.status_code == 101:
            self.scope["extensions"][SEND_PREPARED] = {"progress": lambda: self.chunks}

    def handle_ping(self) -> None:
        if self.inside_frame:
            self.after_frame.append(super().handle_ping)
        else:
            super().handle_ping()

    def handle_close(self, event) -> None:
        if self.inside_frame:
            self.after_frame.append(lambda: WebSocketsSansIOProtocol.handle_close(self, event))
        else:
            super().handle_close(event)

    async def send(self, message) -> None:
        if message["type"] == "websocket.close" and self.inside_frame:
            self.transport.abort()  # a reader stuck inside a frame (closed by the heartbeat): no close frame fits
            return
        async with self.sending:
            if message["type"] != SEND_PREPARED:
                return await super().send(message)
            await self.writable.wait()
            if self.disconnected:
                raise ClientDisconnected()
            if self.close_sent or not self.handshake_complete:
                return
            deflate = any(isinstance(extension, PerMessageDeflate) for extension in self.conn.extensions)
            wires = [await frame.wire(deflate=deflate) for frame in message["frames"]]
            data = memoryview(wires[0] if len(wires) == 1 else b"".join(wires))
            self.inside_frame = True
            try:
                for start in range(0, len(data), CHUNK):
                    await self.writable.wait()
                    if self.disconnected:
                        raise ClientDisconnected()
                    self.transport.write(data[start:start + CHUNK])
                    self.chunks += 1
            finally:
                self.inside_frame = False
                held, self.after_frame = self.after_frame, []
                for answer in held:
                    if not self.disconnected:
                        answer()

