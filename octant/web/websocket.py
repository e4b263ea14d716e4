"""Websocket messages compressed once for all the sockets of a process (the live updates' broadcasts).

A broadcast frame goes to every socket as the same bytes. Through the plain ASGI `websocket.send`, each of
1,000 sockets would encode it, compress it with its own zlib stream (permessage-deflate keeps one per
socket) and frame it again: about 0.3 ms of CPU for a project's 9 kB donor list, so 40,000 such writes a
second took every core. Here the server negotiates permessage-deflate with `server_no_context_takeover`
(RFC 7692, section 7.1.1.1, lets a server ask for it whatever the client offered), so every message it sends is
compressed on its own and the same compressed bytes suit every socket: `PreparedFrame` compresses a message
once, where it is made, and keeps that (a state of 1,000,000 allocations is 80 MB of text, 35 MB
compressed); the plain frame too only once a socket that did not negotiate compression takes it.

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
import zlib

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.extensions.permessage_deflate import PerMessageDeflate, ServerPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.server import ServerProtocol

SEND_PREPARED = "octant.websocket.send_prepared"
CHUNK = 64 * 1024  # bytes written at a time: at most about this much of a frame waits in a socket's buffer
WINDOW_BITS = 12  # the compression window both ways: about 30 kB of zlib state while a message is (de)compressed
# level 1: as small as the default level on donor lists (hex addresses and digits), and 40 % faster
COMPRESS_SETTINGS = {"level": 1, "memLevel": 8}
TAIL = b"\x00\x00\xff\xff"  # what permessage-deflate strips from the end of each compressed message


def deflate_factory() -> ServerPerMessageDeflateFactory:
    return ServerPerMessageDeflateFactory(server_no_context_takeover=True, server_max_window_bits=WINDOW_BITS,
                                          client_max_window_bits=WINDOW_BITS, compress_settings=COMPRESS_SETTINGS)


def _deflate() -> PerMessageDeflate:
    """The server side of a negotiated permessage-deflate without context: a new compressor each message."""
    return PerMessageDeflate(False, True, WINDOW_BITS, WINDOW_BITS, COMPRESS_SETTINGS)


class PreparedFrame:
    """A text message for many sockets, kept as its compressed frame (`deflated`), and as its plain frame once
    a socket without compression has taken it; `size` is the length of its text in bytes. Made from the text
    (compressed here: make large ones off the event loop) or, as a pickle carries it between processes, from
    that frame. `key`: what the caller knows it by."""

    __slots__ = ("key", "deflated", "size", "_head", "_plain", "__weakref__")

    def __init__(self, text: str | None = None, key=None, deflated: bytes = b"", size: int = 0):
        self.key = key
        if text is not None:
            payload = text.encode()
            deflated = Frame(Opcode.TEXT, payload).serialize(mask=False, extensions=[_deflate()])
            size = len(payload)
        self.deflated, self.size = deflated, size
        self._head = {126: 4, 127: 10}.get(deflated[1], 2)
        self._plain: bytes | None = None

    def __reduce__(self):
        return PreparedFrame, (None, self.key, self.deflated, self.size)

    def __len__(self) -> int:
        return self.size

    def plain(self) -> bytes:
        """The frame uncompressed: inflated when first asked for, then kept."""
        if self._plain is None:
            inflater = zlib.decompressobj(-WINDOW_BITS)
            payload = inflater.decompress(memoryview(self.deflated)[self._head:]) + inflater.decompress(TAIL)
            self._plain = Frame(Opcode.TEXT, payload).serialize(mask=False)
        return self._plain

    @property
    def text(self) -> str:
        plain = self.plain()
        return bytes(memoryview(plain)[len(plain) - self.size:]).decode()

    def wire(self, *, deflate: bool) -> bytes:
        """The frame's bytes for a socket that did (not) negotiate permessage-deflate."""
        return self.deflated if deflate else self.plain()


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
            wires = [frame.wire(deflate=deflate) for frame in message["frames"]]
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
