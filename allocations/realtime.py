"""Live updates to the Socket.IO clients (docs/lifecycle.md §10.3): after an allocation every connected client
receives the new threshold (epochs 1-3: from epoch 4 there is none, which never changes), the rewards of every
project and the donors of the projects that changed.

Frames are built and serialized once here, then fanned out through the channel layer (Redis in production,
so every server process reaches its own clients); `allocations.consumers.SocketIOConsumer` writes them out
as they are.

Broadcasts are coalesced per epoch: at most one every BROADCAST_MIN_INTERVAL_SECONDS, each carrying every
project changed since the last (the aggregates' `version` against `broadcast_version`). A change that lands
sooner is sent when the interval ends, never dropped: `schedule_broadcast` queues the Celery task, which
waits for the end of the interval before it reads (a shared layer: any process may send), or, with the
in-memory layer, schedules a delayed run on the event loop of this process's consumers. The time of the
last broadcast is kept in the cache, shared by every process."""
import asyncio
import contextvars
import json
import logging
import os
import time
import weakref

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers, get_channel_layer
from django.conf import settings
from django.core.cache import cache

from octant.core import metrics
from octant.core.queue import enqueue_once
from octant.web.websocket import PreparedFrame

logger = logging.getLogger(__name__)

GROUP = "socketio.clients"  # every client connected to the default namespace
MESSAGE_TYPE = "socketio.frames"  # handled by SocketIOConsumer.socketio_frames
MAX_BATCH_CHARS = 256_000  # frames per group_send message; a Redis group message is copied per process


def event_frame(event: str, data) -> str:
    """An Engine.IO MESSAGE (4) carrying a Socket.IO EVENT (2) on the default namespace."""
    return "42" + json.dumps([event, data], separators=(",", ":"))


def threshold_frame(threshold: int | None) -> str:
    """The `threshold` event: wei as a decimal string, "0" for an epoch without one (epochs >= 4). The one
    deliberate difference from the reference, which sends the string "None" there: Octant's web client runs
    BigInt() on the value, and on "None" it fails and greys every project until a reload. 0 is what that
    client makes of no threshold itself (the null of `GET /rewards/threshold/N`), and what it means for
    the projects: none is below it (docs/websockets-api.yaml)."""
    return event_frame("threshold", {"threshold": str(threshold or 0)})


def state_frames(state: dict, *, skip_none_threshold: bool = False):
    """`threshold`, `project_rewards`, then one `project_donors` per project, in the reference's order, made as
    they are taken (a state's donor lists are read one at a time: selectors.socket_payload).
    skip_none_threshold leaves out the threshold of an epoch without one (epochs >= 4), which never changes."""
    if not (skip_none_threshold and state["threshold"] is None):
        yield threshold_frame(state["threshold"])
    yield event_frame("project_rewards", state["project_rewards"])
    for donors in state["project_donors"]:
        yield donors_frame(donors)


def donors_frame(item: dict) -> str:
    """A `project_donors` frame; the donors come as JSON text (`donors_json`, from the database) or a list."""
    if "donors_json" not in item:
        return event_frame("project_donors", item)
    return f'42["project_donors",{{"project":{json.dumps(item["project"])},"donors":{item["donors_json"]}}}]'


def batches(frames: list, limit: int = MAX_BATCH_CHARS) -> list[list]:
    """Consecutive groups of frames (texts or PreparedFrames) of at most `limit` characters, or bytes of text
    (a larger frame goes alone)."""
    result, size = [], 0
    for frame in frames:
        if not result or size + len(frame) > limit:
            result.append([])
            size = 0
        result[-1].append(frame)
        size += len(frame)
    return result


async def group_send_frames(layer, frames: list[PreparedFrame], *, close: bool = False, stored: str | None = None,
                            started: float | None = None) -> None:
    """The frames to every member of the group: in messages of at most MAX_BATCH_CHARS, or, `stored` under
    that cache key (store_frames), one message naming the key. `started`: when the broadcast began (the
    sockets measure their delay from it, `Outbox`)."""
    try:
        if stored is not None:
            await layer.group_send(GROUP, {"type": MESSAGE_TYPE, "stored": stored, "started": started})
            return
        for batch in batches(frames):
            await layer.group_send(GROUP, {"type": MESSAGE_TYPE, "frames": packed(batch), "started": started})
    finally:
        if close:
            await layer.close_pools()


# How long a stored broadcast waits in the cache for the processes to read it (they read it within
# milliseconds unless overloaded). At 1,000,000 allocations a broadcast can be 50 MB, and broadcasts are spaced
# BROADCAST_BUSY_FACTOR times their build time apart, so Redis holds a few of them at most.
STORED_FRAMES_SECONDS = 20


def store_frames(frames: list[PreparedFrame]) -> str | None:
    """A broadcast of more than one batch, kept once in the (Redis) cache, compressed as the sockets are sent
    it: the Redis layer copies a group message once per member socket, so 1,000 sockets made a megabyte
    broadcast a gigabyte of Redis traffic. The group message then names the key, and each server process
    reads the frames once for all its sockets (`stored_frames`). Returns the key, or None for a small
    broadcast (sent as it is) or when the cache fails (then the frames go in the messages)."""
    if sum(len(frame) for frame in frames) <= MAX_BATCH_CHARS:
        return None
    key = f"octant:broadcast:frames:{os.getpid()}:{time.time_ns()}"
    try:
        cache.set(key, frames, timeout=STORED_FRAMES_SECONDS)
    except Exception:  # noqa: BLE001 - the cache is down: the frames go through the layer itself
        logger.warning("could not store a broadcast; sending it through the channel layer", exc_info=True)
        return None
    return key


_reading: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Task]]" = weakref.WeakKeyDictionary()


async def stored_frames(key: str) -> list[PreparedFrame]:
    """The frames of a stored broadcast, read from the cache once per process (its event loop) however many
    of its sockets ask; [] if they are gone (older than STORED_FRAMES_SECONDS) or the cache fails (the
    sockets stay open: the next broadcast of a project carries its whole state)."""
    from asgiref.sync import sync_to_async

    def read() -> list[PreparedFrame]:
        try:
            return cache.get(key, [])
        except Exception:  # noqa: BLE001 - a socket must not fail with the cache
            logger.warning("could not read a stored broadcast", exc_info=True)
            return []

    loop = asyncio.get_running_loop()
    reading = _reading.setdefault(loop, {})
    if key not in reading:  # kept a second after the read for the sockets that ask together, then let go
        # (a socket that asks later reads the cache again): a process holds about one broadcast at a time
        reading[key] = loop.create_task(sync_to_async(lambda: prepare(read()), thread_sensitive=False)())
        reading[key].add_done_callback(lambda _: loop.call_later(1.0, reading.pop, key, None))
    return await asyncio.shield(reading[key])


def packed(frames: list[PreparedFrame]) -> list[list]:
    """PreparedFrames as a group message carries them (the Redis layer's msgpack takes no objects): their
    compressed bytes, which every process then uses as they are (`unpacked`)."""
    return [[*frame.key, frame.deflated, frame.size] for frame in frames]


def unpacked(items: list[list]) -> list[PreparedFrame]:
    return prepare(PreparedFrame(None, (event, project), deflated, size) for event, project, deflated, size in items)


# --- each socket's outgoing broadcasts: the newest frame per (event, project), written by a task of its own --

def frame_key(frame: str) -> tuple[str, str | None]:
    """(event, project) of a broadcast frame (`state_frames`): a newer frame of the same key replaces it."""
    event = frame[4:frame.index('"', 4)]  # 42["<event>",...
    if event != "project_donors":
        return event, None
    start = frame.index('"project":"', 4) + 11
    return event, frame[start:frame.index('"', start)]


class Outbox:
    """A socket's queue of broadcast frames, bounded: it keeps only the newest frame per (event, project)
    (at most 2 + the epoch's projects), so a slow reader skips the states it had no time for and always ends
    on the latest one, never on a backlog. Frames keep the place of the first one of their key; one task
    writes them with `send`, a batch at a time (it waits while the socket's transport buffer is full), so the consumer
    never waits for a slow reader. A broadcast frame is kept once per process (`_latest`, the newest
    broadcast's per key, while a socket still has it to write), compressed once for all the sockets
    (octant.web.websocket.PreparedFrame), and written as it is when its turn comes: however far
    behind its sockets are, a process holds one state, not one per socket. The frames on connect (`started`
    None) are the socket's own (prepared ones may be shared: `consumers.ConnectFrames`): a broadcast that
    follows replaces them.

    The client reads what the outbox writes at its own pace; what it has not read yet waits in the network's
    buffers (megabytes on a socket), where a newer state cannot replace it. So the outbox keeps only about
    UNREAD_SECONDS of the client's reading written and unread (its window): it sends an Engine.IO ping after
    each half window, which the client answers once it has read up to it, and waits for the answer to the
    ping before it; the window follows the rate the answers show (from WINDOW_FIRST, doubling at most per
    answer, between WINDOW_MIN and WINDOW_MAX: a window measured while the client had the server to itself
    must not leave it a minute behind once a thousand share it). A client is held back by its bandwidth, or
    by WINDOW_MAX over its round trip (10 MB/s at 100 ms); a slow one is never more than about UNREAD_SECONDS
    behind the latest state plus its queue.

    Each broadcast's `started` time is noted per socket until the socket has written everything queued
    after it; then its delay to this socket goes to the metrics (octant.core.metrics.broadcast_delivered,
    which keeps the delay to the last socket too)."""

    # bytes of text (compressed, two or more times fewer)
    WINDOW_FIRST, WINDOW_MIN, WINDOW_MAX = 256 * 1024, 128 * 1024, 1024 * 1024
    UNREAD_SECONDS = 1.0

    def __init__(self, send, *, batch_bytes: int = 0, ping=None):
        """`send(frames)` writes a list of PreparedFrames: of about `batch_bytes` together, or one at a time.
        `ping()` sends a ping and returns a future that the client's answer completes with its time; without
        it, nothing bounds what is written and unread."""
        self.batch_bytes = batch_bytes
        self.ping, self.window = ping, self.WINDOW_FIRST
        self.sent = self.marked = 0  # bytes written, and where the last ping went
        self.began = 0.0  # when the first bytes after the last ping were written
        # the pings not yet taken into account: (their answer, the bytes written before them, `began` then)
        self.marks: list[tuple[asyncio.Future, int, float]] = []
        self.read = (0, time.monotonic())  # the client has read so many bytes, by then (its last answer)
        self.frames: dict[tuple[str, str | None], PreparedFrame | None] = {}  # key -> its own, or None: `_latest`
        self.ready = asyncio.Event()
        self.started: list[float] = []  # the broadcasts queued since this socket last had nothing to write
        self.written = 0  # frames written so far (a reader that is behind still takes some)
        self.writer = asyncio.get_running_loop().create_task(self._write(send))

    def put(self, frames: list[PreparedFrame], *, started: float | None = None) -> None:
        """Queue `frames`, made by `prepare`."""
        for frame in frames:
            key = frame.key
            if started is None:
                self._drop(key)
                self.frames[key] = frame
                continue
            # a newer broadcast only (Redis orders per socket); its frame is prepared once for the process
            if key not in _latest or started > _latest[key][0]:
                _latest[key] = (started, frame)
            if self.frames.get(key, "") is not None:  # not yet waiting for the shared one
                self._drop(key)
                self.frames[key] = None
                _needed[key] = _needed.get(key, 0) + 1
        if started is not None and started not in self.started[-1:]:
            self.started.append(started)
        self.ready.set()

    async def _write(self, send) -> None:
        try:
            while True:
                await self.ready.wait()
                while self.frames:
                    batch, size = [], 0
                    while self.frames and (not batch or size < self.batch_bytes):
                        key = next(iter(self.frames))
                        batch.append(self.frames[key] or _latest[key][1])
                        size += len(batch[-1])
                        self._drop(key)
                    await send(batch)
                    self.written += len(batch)
                    await self._pace(size)
                self.ready.clear()
                written, self.started = self.started, []
                for moment in written:
                    metrics.broadcast_delivered(moment)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the socket is gone (its disconnect closes this outbox)
            logger.debug("socket.io: writing a broadcast failed", exc_info=True)

    async def _pace(self, size: int) -> None:
        """After `size` bytes written: a ping each half window, and a wait while more than a window is unread."""
        if self.ping is None:
            return
        if self.sent == self.marked:  # the first write since the last ping
            self.began = time.monotonic()
        self.sent += size
        if self.sent - self.marked >= self.window // 2:
            self.marks.append((await self.ping(), self.sent, self.began))
            self.marked = self.sent
        while self.marks and (self.marks[0][0].done() or self.sent - self.read[0] > self.window):
            answer, upto, began = self.marks.pop(0)
            at = await answer
            # the client began on these bytes once they were written and it had read the ones before
            rate = (upto - self.read[0]) / max(at - max(began, self.read[1]), 1e-3)
            self.window = int(min(2 * self.window, self.WINDOW_MAX, max(self.WINDOW_MIN, rate * self.UNREAD_SECONDS)))
            self.read = (upto, at)

    def close(self) -> None:
        """The socket is gone: stop writing, and let go of the frames it still had to write."""
        self.writer.cancel()
        for key in list(self.frames):
            self._drop(key)

    def pending(self) -> list[str]:
        """The texts of the frames it has still to write."""
        return [(frame or _latest[key][1]).text for key, frame in self.frames.items()]

    def _drop(self, key) -> None:
        """Forget the frame of `key`; the shared one goes once no socket of the process needs it."""
        if key in self.frames and self.frames.pop(key) is None:
            _needed[key] -= 1
            if not _needed[key]:
                del _needed[key], _latest[key]


def prepare(frames) -> list[PreparedFrame]:
    """Frames (texts, or PreparedFrames from another process) to queue in many sockets' outboxes, compressed
    once, each made as it is taken (a state's donor lists are read one at a time). A frame the process already
    holds for some socket (`_prepared`) is that one: clients that connect while others still write their
    connect-time state, from reads of their own, share one copy of each project's donors, not one per read
    (at 1,000,000 allocations a state is 35 MB compressed)."""
    result = []
    for frame in frames:
        if not isinstance(frame, PreparedFrame):
            frame = PreparedFrame(frame, key=frame_key(frame))
        known = _prepared.get(frame.key)
        if known is None or known.deflated != frame.deflated:
            known = _prepared[frame.key] = frame
        result.append(known)
    return result


# key -> the newest frame of that key prepared in this process, while a socket still holds it
_prepared: "weakref.WeakValueDictionary[tuple, PreparedFrame]" = weakref.WeakValueDictionary()


_latest: dict[tuple, tuple[float, PreparedFrame]] = {}  # key -> (the broadcast's start, its frame) sockets have to write
_needed: dict[tuple, int] = {}  # key -> how many sockets of this process have its `_latest` frame to write


def layer_is_shared() -> bool:
    """True when the channel layer reaches other processes (Redis), so any process may broadcast."""
    return hasattr(get_channel_layer(), "close_pools")


def emit_frames(frames: list[PreparedFrame], *, started: float | None = None) -> None:
    """Send frames made by `prepare` to every connected client, from sync code (a view, a service, a Celery
    task); `started`: when the broadcast began (time.time(), default now)."""
    started = time.time() if started is None else started
    layer = get_channel_layer()
    if layer is None or not frames:
        return
    if layer_is_shared():
        # channels_redis ties its connections to the event loop that opened them, and close_pools() closes
        # those of every loop. So send from a loop of our own with a layer instance of our own and close
        # its pools before the loop ends: no "Event loop is closed" later, and the connections this
        # process's consumers are receiving on are never touched.
        sender = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
        async_to_sync(group_send_frames, force_new_loop=True)(sender, frames, close=True, stored=store_frames(frames),
                                                              started=started)
    else:
        # The in-memory layer (one process: development and tests) must be used on the loop its
        # consumers run on; async_to_sync returns to it when called from a sync_to_async thread.
        async_to_sync(group_send_frames)(layer, frames, started=started)


def listening() -> bool:
    """Whether any socket is in the clients' group now (`listeners`); True when the layer cannot tell."""
    return listeners() != 0


def listeners() -> int | None:
    """How many sockets are in the clients' group now: the in-memory layer's groups, or the Redis layer's
    group set (channels_redis keeps each member with the time it joined; members older than the layer's
    group_expiry are gone). None when the layer cannot tell, or on any error: then the broadcast goes out."""
    layer = get_channel_layer()
    if isinstance(getattr(layer, "groups", None), dict):
        return len(layer.groups.get(GROUP) or ())
    if not all(hasattr(layer, name) for name in ("_group_key", "consistent_hash", "connection", "group_expiry")):
        return None

    async def members() -> int:
        reader = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)  # as emit_frames: a loop and pools of its own
        try:
            connection = reader.connection(reader.consistent_hash(GROUP))
            return await connection.zcount(reader._group_key(GROUP), time.time() - reader.group_expiry, "+inf")
        finally:
            await reader.close_pools()

    try:
        return async_to_sync(members, force_new_loop=True)()
    except Exception:  # noqa: BLE001 - unknown: broadcast
        logger.warning("could not count the connected sockets", exc_info=True)
        return None


def broadcast_changes(*, epoch: int, view) -> int:
    """Broadcast the projects of `epoch` whose allocations changed since their last broadcast (their
    aggregate's version moved), then record the versions sent, while the chain `view` (an
    `epochs.selectors.ChainView`) has the epoch's window open. Returns how many projects went out.

    With no socket connected, nothing is built or sent (a million allocations' donor lists cost about a
    second of database time) and the versions are recorded as sent: a client that connects gets the whole
    state on connect."""
    from . import funding

    seen = funding.unsent(epoch=epoch)
    if not seen:
        return 0
    sockets = listeners()
    if sockets == 0:
        _mark_broadcast(epoch, time.time())  # unheard too: the next run waits the interval, as after a broadcast
        funding.record_sent(epoch=epoch, sent=seen)
        return 0
    started = time.time()
    _mark_broadcast(epoch, started)
    sent = broadcast_project_updates(epoch=epoch, view=view, projects=sorted(seen), started=started)
    _mark_broadcast(epoch, started, took=time.time() - started, egress=sent * (sockets or 1))
    funding.record_sent(epoch=epoch, sent=seen)
    return len(seen)


def broadcast_project_updates(*, epoch: int, view, projects: list[str] | None = None,
                              started: float | None = None) -> int:
    """Broadcast the state of `epoch` after a committed allocation; `projects` are those whose donors
    changed (None: all). Does nothing if that epoch's allocation window is not open in the chain `view`.
    Returns the bytes sent to each socket that compresses (as browsers do)."""
    from .selectors import socket_payload

    began = time.time()
    started = began if started is None else started
    state = socket_payload(view=view, projects=projects)
    if state is None or state["epoch"] != epoch:
        return 0
    # clients had the missing threshold on connect
    frames = prepare(state_frames(state, skip_none_threshold=True))
    metrics.broadcast_sent(frames, build_seconds=time.time() - began)
    logger.info("broadcast of epoch %s: %s projects", epoch, len(projects) if projects is not None else "all")
    emit_frames(frames, started=started)
    return sum(len(frame.deflated) for frame in frames)


# --- coalescing: at most one broadcast per epoch per BROADCAST_MIN_INTERVAL_SECONDS -----------------------

def _last_key(epoch: int) -> str:
    return f"octant:broadcast:last:{epoch}"


def _mark_broadcast(epoch: int, started: float, took: float = 0.0, egress: int = 0) -> None:
    """Record that a broadcast of `epoch` started at `started` (before its read: a change committed after
    the read then waits for the interval from here, and its own scheduled run carries it), and once sent,
    how long it `took` and its `egress` (bytes to each socket times the sockets): the next one waits at
    least BROADCAST_BUSY_FACTOR times that time, so that building the broadcasts (the donor lists of every
    changed project) never takes more than its share of the machine, and egress / LIVE_EGRESS_BYTES_PER_SECOND,
    so that the sockets are sent no more than that on average (a slow socket skips states meanwhile:
    `Outbox`)."""
    spacing = settings.BROADCAST_BUSY_FACTOR * took
    if settings.LIVE_EGRESS_BYTES_PER_SECOND > 0:
        spacing = max(spacing, egress / settings.LIVE_EGRESS_BYTES_PER_SECOND)
    interval = max(settings.BROADCAST_MIN_INTERVAL_SECONDS, spacing)
    try:
        cache.set(_last_key(epoch), [started, spacing], timeout=max(5, int(interval) + 5))
    except Exception:  # the cache is down: broadcasts go out unthrottled meanwhile, none is lost
        logger.warning("could not record the broadcast time", exc_info=True)


def broadcast_wait(*, epoch: int) -> float:
    """Seconds until the next broadcast of `epoch` may go out (0: now): BROADCAST_MIN_INTERVAL_SECONDS after
    the last one started, or the spacing its time and egress asked for (`_mark_broadcast`) if that is
    longer. 0 too when the cache cannot say."""
    interval = settings.BROADCAST_MIN_INTERVAL_SECONDS
    if interval <= 0:
        return 0.0
    try:
        last = cache.get(_last_key(epoch))
    except Exception:
        logger.warning("could not read the last broadcast time", exc_info=True)
        return 0.0
    if last is None:
        return 0.0
    started, spacing = last if isinstance(last, (list, tuple)) else (last, 0.0)
    interval = max(interval, float(spacing))
    return max(0.0, float(started) + interval - time.time())


def _celery_is_eager() -> bool:
    from . import tasks  # (tasks import this module)

    return bool(tasks.broadcast_changes_task.app.conf.task_always_eager)


def schedule_broadcast(*, epoch: int, view) -> None:
    """After a committed allocation: have the epoch's changes broadcast as soon as the interval since the
    last broadcast allows, coalesced with any broadcast already scheduled. With a shared channel layer the
    Celery task does it (queued once; it waits for the interval to end); otherwise this process does (one
    process reaches every socket: the in-memory layer, or Celery running tasks eagerly): at once on the
    allocation's chain `view`, or later as a run of its own (`tasks.run_broadcast`)."""
    if layer_is_shared() and not _celery_is_eager():
        from . import tasks

        enqueue_once(tasks.broadcast_changes_task, epoch)  # the run waits for the interval's end itself
        return
    wait = broadcast_wait(epoch=epoch)
    loop = _consumers_loop()
    if wait <= 0 and not _scheduled_on(loop, epoch):
        broadcast_changes(epoch=epoch, view=view)
    elif loop is None:  # no event loop to wait on (a script, a shell): no socket of ours waits either
        broadcast_changes(epoch=epoch, view=view)
    else:
        async_to_sync(_schedule_later)(epoch, wait)


def _consumers_loop():
    """The running event loop that this sync code was called from through sync_to_async (the one the
    consumers of the in-memory layer run on), or None. asgiref keeps it in SyncToAsync's thread-local."""
    local = SyncToAsync.threadlocal
    if getattr(local, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(local, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() and not loop.is_closed() else None


_later: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, asyncio.Task]]" = weakref.WeakKeyDictionary()


def _scheduled_on(loop, epoch: int) -> bool:
    task = _later.get(loop, {}).get(epoch) if loop is not None else None
    return task is not None and not task.done()


async def _schedule_later(epoch: int, wait: float) -> None:
    """On the consumers' loop: one delayed broadcast of `epoch` at a time."""
    pending = _later.setdefault(asyncio.get_running_loop(), {})
    if epoch in pending and not pending[epoch].done():
        return  # the one scheduled will carry this change: it reads the versions when it runs
    # a context of its own: the caller's (async_to_sync's) points sync calls at the thread that called it,
    # which is gone by the time this runs
    pending[epoch] = asyncio.get_running_loop().create_task(_broadcast_later(epoch, wait),
                                                            context=contextvars.Context())


async def _broadcast_later(epoch: int, wait: float) -> None:
    from channels.db import database_sync_to_async

    from . import tasks  # (tasks import this module)

    pending = _later[asyncio.get_running_loop()]
    try:
        while wait > 0:
            await asyncio.sleep(wait)
            wait = await database_sync_to_async(broadcast_wait)(epoch=epoch)
        del pending[epoch]  # before the read: a change committed after it schedules the next run
        await database_sync_to_async(tasks.run_broadcast)(epoch)
    except Exception:
        logger.exception("a delayed broadcast failed")
    finally:
        if pending.get(epoch) is asyncio.current_task():
            del pending[epoch]
