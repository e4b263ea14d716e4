"""The Socket.IO endpoint `/socket.io/` (docs/lifecycle.md §10.3): Socket.IO v5 over Engine.IO v4, websocket transport
only, default namespace only. Enough of the protocol for socket.io clients that connect with
`transports: ['websocket']`.

Wire format. Each websocket text frame is one Engine.IO packet: a type digit and its data.
  0 open (server -> client, JSON handshake)   1 close   2 ping   3 pong   4 message   6 noop
An Engine.IO message (4) carries one Socket.IO packet: `<type>[/<namespace>,][<ack id>][<JSON>]` with types
  0 connect   1 disconnect   2 event `["name", ...args]`   3 ack `[...args]`   4 connect error
so `40` connects to "/", `42["allocate","{...}"]` is an event, `4212["allocate",...]` one that wants the
ack `4312[]`. The server pings (`2`) every pingInterval; a client that does not answer `3` within
pingTimeout is disconnected.
"""
import asyncio
import json
import logging
import re
import secrets
import time
import weakref
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from django.conf import settings
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from redis.exceptions import RedisError
from rest_framework.exceptions import APIException, ParseError

from epochs import selectors as epoch_selectors
from epochs.models import PendingEpochSnapshot
from octant.core import metrics
from octant.core.exceptions import OctantError
from octant.web.api import json_loads
from octant.web.client_ip import client_ip
from octant.web.errors import exception_handler
from octant.web.throttles import throttle_socket_write
from octant.web.websocket import CHUNK, SEND_PREPARED, PreparedFrame

from . import apis, realtime, selectors
from .models import EpochFunding

logger = logging.getLogger(__name__)

SOCKET_IO_PACKET = re.compile(r"(?P<type>\d)(?:(?P<namespace>/[^,]*),)?(?P<ack>\d+)?(?P<data>.*)", re.DOTALL)
UNEXPECTED_ERROR = "An unexpected error has occurred"
# What the channel layer raises while Redis is unreachable; the sockets stay open and retry, with backoff
# from LAYER_RETRY_FIRST to LAYER_RETRY_MAX seconds, then join the broadcast group again
LAYER_ERRORS = (RedisError, OSError, asyncio.TimeoutError)
LAYER_RETRY_FIRST, LAYER_RETRY_MAX = 0.5, 10.0


def _decode_allocation(payload):
    """The reference's client sends the body as a JSON string; an object is accepted too."""
    if not isinstance(payload, str):
        return payload
    try:
        return json_loads(payload)
    except ValueError as exc:
        raise ParseError(f"JSON parse error - {exc}")


def connect_frames() -> list[PreparedFrame]:
    """What a client gets on connect, prepared for the sockets (compressed one project at a time, as its
    donors are read): the whole state in an open window with its pending snapshot; before that snapshot only
    the threshold, as the reference (whose rewards estimate fails without it); outside a window nothing."""
    view = epoch_selectors.chain_view()
    state = selectors.socket_payload(view=view)
    if state:
        return realtime.prepare(realtime.state_frames(state))
    epoch = view.pending
    if epoch is None:
        return []
    return realtime.prepare([realtime.threshold_frame(selectors.epoch_threshold(epoch=epoch))])


def connect_version() -> tuple:
    """What moves whenever the state on connect does: the pending epoch, whether it has its snapshot, and
    its funding's version (every allocation moves it, in its own transaction)."""
    epoch = epoch_selectors.chain_view().pending
    if epoch is None:
        return (None,)
    return (epoch, PendingEpochSnapshot.objects.filter(epoch=epoch).exists(),
            EpochFunding.objects.filter(epoch=epoch).values_list("version", flat=True).first())


class ConnectFrames:
    """The connect-time frames (nothing outside an open allocation window with its pending snapshot).

    One read serves every client waiting when it starts, so a reconnect storm costs a few reads instead of
    one per client on the single ORM thread. Clients join the broadcast group before they wait, and a read
    serves only clients already waiting when it began: none can miss an allocation committed meanwhile.
    A read is used again for REUSE_SECONDS while `connect_version` has not moved since before it began: no
    allocation has committed since, so it is the state now (but for the rewards' estimate's clock, as on the
    sockets already connected). At 1,000,000 allocations a read costs a second of the database and a
    second of compression; 1,000 clients that connect at once made a hundred of them."""

    REUSE_SECONDS = 5.0

    _per_loop = weakref.WeakKeyDictionary()

    @classmethod
    def of_this_loop(cls) -> "ConnectFrames":
        loop = asyncio.get_running_loop()
        if loop not in cls._per_loop:
            cls._per_loop[loop] = cls()
        return cls._per_loop[loop]

    def __init__(self):
        self.waiting: list[asyncio.Future] = []
        self.reader: asyncio.Task | None = None
        self.last: tuple | None = None  # the last read: (connect_version before it, when it began, its frames)

    async def get(self) -> list[PreparedFrame]:
        future = asyncio.get_running_loop().create_future()
        self.waiting.append(future)
        if self.reader is None:
            self.reader = asyncio.create_task(self.read())
        return await future

    async def read(self):
        try:
            while self.waiting:
                batch, self.waiting = self.waiting, []
                try:
                    frames = await self.frames()
                except Exception:
                    logger.exception("socket.io: reading the state on connect failed")
                    frames = []
                for future in batch:
                    if not future.done():  # done: its client went away
                        future.set_result(frames)
        finally:
            self.reader = None

    async def frames(self) -> list[PreparedFrame]:
        version = await database_sync_to_async(connect_version)()
        if self.last and self.last[0] == version and time.monotonic() - self.last[1] < self.REUSE_SECONDS:
            return self.last[2]
        began = time.monotonic()
        frames = await database_sync_to_async(connect_frames)()
        self.last = last = (version, began, frames)
        # let go of it once too old to use (it is shared with the sockets still writing it)
        asyncio.get_running_loop().call_later(self.REUSE_SECONDS, self.forget, last)
        return frames

    def forget(self, last: tuple) -> None:
        if self.last is last:
            self.last = None


class SocketIOConsumer(AsyncWebsocketConsumer):
    connected = False  # to the default namespace
    heartbeat = None
    rejoin = False  # the group membership may be lost (a channel layer outage): join again once it is back
    outbox = None  # the broadcasts to write (realtime.Outbox), once connected to the namespace
    pongs = 0  # the pings the client has answered

    def __init__(self, *args, ping_interval: float = 25.0, ping_timeout: float = 20.0, **kwargs):
        """as_asgi(ping_interval=..., ping_timeout=...), in seconds, changes the heartbeat."""
        super().__init__(*args, **kwargs)
        self.ping_interval, self.ping_timeout = ping_interval, ping_timeout
        self.max_payload = settings.MAX_REQUEST_BYTES  # a longer frame closes the socket (1009)

    async def connect(self):
        self.pings: list[asyncio.Future] = []  # the pings sent and not answered yet, oldest first
        await self.accept()
        metrics.socket_opened(self)
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        if query.get("EIO") != ["4"] or query.get("transport", ["websocket"]) != ["websocket"]:
            await self.close(code=1008, reason="Only Engine.IO protocol 4 (EIO=4) over websocket is supported")
            return
        await self.send(text_data="0" + json.dumps({
            "sid": secrets.token_urlsafe(15), "upgrades": [], "pingInterval": int(self.ping_interval * 1000),
            "pingTimeout": int(self.ping_timeout * 1000), "maxPayload": self.max_payload,
        }))
        self.heartbeat = asyncio.create_task(self.ping_loop())

    async def dispatch(self, message):
        # Channels runs close_old_connections() on the one sync thread before every handler. Our ORM calls
        # go through database_sync_to_async, which does it itself; skipping the hop keeps a broadcast to
        # thousands of clients from queueing on that thread.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def disconnect(self, code):
        metrics.socket_closed(self)
        if self.heartbeat:
            self.heartbeat.cancel()
        if self.outbox:
            self.outbox.close()
        await self.leave()

    async def ping_loop(self):
        while True:
            await asyncio.sleep(self.ping_interval)
            written = self.taken()
            try:
                await asyncio.wait_for(self.ping(), self.ping_timeout)
            except asyncio.TimeoutError:
                # a client still reading the broadcasts answers once it reaches the ping: only a silent
                # one that took no frame and answered no earlier ping meanwhile is dropped
                if self.taken() == written:
                    logger.warning("socket.io: closing a socket that read nothing for %.0f s", self.ping_timeout)
                    await self.close()
                    return
            if self.connected:  # renew the group membership before the layer's group_expiry drops it
                await self.join_group()

    @property
    def prepared(self) -> dict | None:
        """The server's SEND_PREPARED extension (octant.web.websocket: scripts/serve.py), if it has it."""
        return self.scope.get("extensions", {}).get(SEND_PREPARED)

    def taken(self) -> int:
        """How far the client has read: broadcast frames, pieces of a large one where the server counts them,
        and the pings it answered (the outbox's among them: `send_ping`)."""
        pieces = self.prepared["progress"]() if self.prepared is not None else 0
        return (self.outbox.written if self.outbox else 0) + pieces + self.pongs

    async def ping(self):
        await (await self.send_ping())

    async def send_ping(self) -> asyncio.Future:
        """Send an Engine.IO ping; returns a future that the client's answer completes with its time
        (time.monotonic()). A client answers each ping in turn, once it has read what was sent before it: the
        heartbeat knows it alive, and the outbox how far it has read."""
        await self.send(text_data="2")  # waits while the client's buffer is full
        answered = asyncio.get_running_loop().create_future()
        self.pings.append(answered)
        return answered

    # --- Engine.IO
    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None:
            return  # binary packets (Socket.IO attachments) are not used by this API
        if len(text_data) > self.max_payload // 4 and len(text_data.encode(errors="replace")) > self.max_payload:
            await self.close(code=1009)
            return
        kind, data = text_data[:1], text_data[1:]
        if kind == "3":
            self.pongs += 1
            if self.pings and not (answered := self.pings.pop(0)).done():
                answered.set_result(time.monotonic())
        elif kind == "2":
            await self.send(text_data="3" + data)
        elif kind == "1":
            await self.close()
        elif kind == "4":
            await self.on_packet(data)

    # --- Socket.IO
    async def on_packet(self, text: str):
        match = SOCKET_IO_PACKET.fullmatch(text)
        if match is None:
            return
        kind, namespace = match["type"], (match["namespace"] or "/").split("?")[0]
        if namespace != "/":
            if kind == "0":
                await self.send(text_data=f"44{namespace}," + json.dumps({"message": "Invalid namespace"}))
            return
        if kind == "0":
            await self.join()
        elif kind == "1":
            await self.leave()
        elif kind == "2" and self.connected:
            try:
                event, *args = json_loads(match["data"])
            except (ValueError, TypeError):
                return
            if event == "allocate":
                await self.on_allocate(args[0] if args else None)
            if match["ack"] is not None:
                await self.send(text_data=f"43{match['ack']}[]")

    async def join(self):
        if self.connected:
            return
        self.connected = True
        await self.join_group()
        await self.send(text_data="40" + json.dumps({"sid": secrets.token_urlsafe(15)}))
        if self.outbox is None:
            # where frames are written as they are, many small ones go in one system call
            batch = CHUNK if self.prepared is not None else 0
            self.outbox = realtime.Outbox(self.send_prepared, batch_bytes=batch, ping=self.send_ping)
        # queued before any broadcast (handled after this returns), which replaces what it makes out of date
        self.outbox.put(await ConnectFrames.of_this_loop().get())

    async def leave(self):
        if self.connected:
            self.connected = False
            try:
                await self.channel_layer.group_discard(realtime.GROUP, self.channel_name)
            except LAYER_ERRORS:  # the membership lapses after the layer's group_expiry
                logger.warning("socket.io: leaving the broadcast group failed", exc_info=True)

    async def join_group(self):
        try:
            await self.channel_layer.group_add(realtime.GROUP, self.channel_name)
        except LAYER_ERRORS:  # the socket stays; the layer receive loop joins once the layer is back
            logger.warning("socket.io: joining the broadcast group failed", exc_info=True)
            self.rejoin = True

    async def send_prepared(self, frames: list[PreparedFrame]):
        """Frames made once for many sockets, written as they are where the server can (scripts/serve.py)."""
        if self.prepared is not None:
            await self.base_send({"type": SEND_PREPARED, "frames": frames})
            return
        for frame in frames:
            await self.send(text_data=frame.text)

    async def emit(self, event: str, data):
        await self.send(text_data=realtime.event_frame(event, data))

    async def on_allocate(self, payload):
        """Allocate, then send the sender its `threshold`; errors go back to the sender as an `exception`
        event, the write throttle's too (an event counts as an HTTP write of the client's IP, off the ORM
        thread). The broadcast to every client follows from the service, after its transaction commits."""
        try:
            await sync_to_async(throttle_socket_write, thread_sensitive=False)(ip=client_ip(self.scope))
            epoch = await database_sync_to_async(apis.allocate_from_request)(_decode_allocation(payload))
        except (OctantError, APIException) as exc:
            await self.emit("exception", {"message": exception_handler(exc, {}).data["message"]})
            return
        except Exception:
            logger.exception("socket.io: allocate failed")
            await self.emit("exception", {"message": UNEXPECTED_ERROR})
            return
        try:  # the sender's own threshold, every epoch as the reference sends it ("0" from epoch 4, not "None")
            threshold = await database_sync_to_async(selectors.epoch_threshold)(epoch=epoch)
            await self.send(text_data=realtime.threshold_frame(threshold))
        except Exception:  # the allocation is committed: a failed read must not report it as failed
            logger.exception("socket.io: reading the threshold after an allocation failed")

    # --- channel layer
    @property
    def channel_receive(self):
        """What Channels' consumer loop awaits for the layer's messages: the layer's receive on our channel,
        kept through an outage of the layer (Redis): retried with backoff instead of closing the socket, and
        the group joined again before the first receive that follows (a restarted Redis has lost it)."""
        return self._receive_through_outages

    @channel_receive.setter
    def channel_receive(self, receive):  # Channels' __call__ sets the layer's own receive
        self._layer_receive = receive

    async def _receive_through_outages(self):
        delay = LAYER_RETRY_FIRST
        while True:
            try:
                if self.rejoin and self.connected:
                    await self.channel_layer.group_add(realtime.GROUP, self.channel_name)
                self.rejoin = False
                return await self._layer_receive()
            except LAYER_ERRORS:
                logger.warning("socket.io: the channel layer is unreachable; retrying in %.1f s", delay)
                self.rejoin = True
                await asyncio.sleep(delay)
                delay = min(2 * delay, LAYER_RETRY_MAX)

    async def socketio_frames(self, message):
        """A broadcast: queued in the outbox, which a task of its own writes (a slow reader skips states)."""
        if not self.connected:
            return
        if "stored" in message:
            frames = await realtime.stored_frames(message["stored"])
        else:
            frames = realtime.unpacked(message["frames"])
        self.outbox.put(frames, started=message.get("started"))
