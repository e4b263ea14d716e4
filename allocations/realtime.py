"""Live updates to the Socket.IO clients (spec README decision 7): after an allocation every connected client
receives the new threshold (epochs 1-3: from epoch 4 it is always "None"), the rewards of every project and
the donors of the projects that changed.

Frames are built and serialized once here, then fanned out through the channel layer (Redis in production,
so every daphne process reaches its own clients); `allocations.consumers.SocketIOConsumer` writes them out
as they are."""
import json

from asgiref.sync import async_to_sync
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers, get_channel_layer

GROUP = "socketio.clients"  # every client connected to the default namespace
MESSAGE_TYPE = "socketio.frames"  # handled by SocketIOConsumer.socketio_frames
MAX_BATCH_CHARS = 256_000  # frames per group_send message; a Redis group message is copied per process


def event_frame(event: str, data) -> str:
    """An Engine.IO MESSAGE (4) carrying a Socket.IO EVENT (2) on the default namespace."""
    return "42" + json.dumps([event, data], separators=(",", ":"))


def state_frames(state: dict, *, skip_none_threshold: bool = False) -> list[str]:
    """`threshold`, `project_rewards`, then one `project_donors` per project, in the reference's order.
    skip_none_threshold leaves out the threshold "None" (epochs >= 4), which never changes."""
    frames = []
    if not (skip_none_threshold and state["threshold"] == "None"):
        frames.append(event_frame("threshold", {"threshold": state["threshold"]}))
    frames.append(event_frame("project_rewards", state["project_rewards"]))
    frames += [event_frame("project_donors", donors) for donors in state["project_donors"]]
    return frames


def batches(frames: list[str], limit: int = MAX_BATCH_CHARS) -> list[list[str]]:
    """Consecutive groups of frames of at most `limit` characters (a larger frame goes alone)."""
    result, size = [], 0
    for frame in frames:
        if not result or size + len(frame) > limit:
            result.append([])
            size = 0
        result[-1].append(frame)
        size += len(frame)
    return result


async def group_send_frames(layer, frames: list[str], *, close: bool = False) -> None:
    try:
        for batch in batches(frames):
            await layer.group_send(GROUP, {"type": MESSAGE_TYPE, "frames": batch})
    finally:
        if close:
            await layer.close_pools()


def layer_is_shared() -> bool:
    """True when the channel layer reaches other processes (Redis), so any process may broadcast."""
    return hasattr(get_channel_layer(), "close_pools")


def emit_frames(frames: list[str]) -> None:
    """Send ready frames to every connected client, from sync code (a view, a service, a Celery task)."""
    layer = get_channel_layer()
    if layer is None or not frames:
        return
    if layer_is_shared():
        # channels_redis ties its connections to the event loop that opened them, and close_pools() closes
        # those of every loop. So send from a loop of our own with a layer instance of our own and close
        # its pools before the loop ends: no "Event loop is closed" later, and the connections this
        # process's consumers are receiving on are never touched.
        sender = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
        async_to_sync(group_send_frames, force_new_loop=True)(sender, frames, close=True)
    else:
        # The in-memory layer (one process: development and tests) must be used on the loop its
        # consumers run on; async_to_sync returns to it when called from a sync_to_async thread.
        async_to_sync(group_send_frames)(layer, frames)


def broadcast_changes(*, epoch: int) -> int:
    """Broadcast the projects of `epoch` whose allocations changed since their last broadcast (their
    aggregate's version moved), then record the versions sent. Returns how many projects went out."""
    from django.db.models import F

    from .models import ProjectFunding

    seen = dict(ProjectFunding.objects.filter(epoch=epoch).exclude(version=F("broadcast_version")).values_list(
        "project_address", "version"))
    if not seen:
        return 0
    broadcast_project_updates(epoch=epoch, projects=sorted(seen))
    for project, version in seen.items():  # a newer version stays unsent: its change queued another task
        ProjectFunding.objects.filter(epoch=epoch, project_address=project, broadcast_version__lt=version).update(
            broadcast_version=version)
    return len(seen)


def broadcast_project_updates(*, epoch: int, projects: list[str] | None = None) -> None:
    """Broadcast the state of `epoch` after a committed allocation; `projects` are those whose donors
    changed (None: all). Does nothing if that epoch's allocation window is no longer open."""
    from .selectors import socket_state

    state = socket_state(projects=projects)
    if state is None or state["epoch"] != epoch:
        return
    emit_frames(state_frames(state, skip_none_threshold=True))  # clients had it on connect
