from octant.core.queue import coalesced_task

from . import realtime, services


@coalesced_task()
def project_funding_rebuild(epoch: int) -> int:
    """Make the epoch's project aggregates exact again after allocations were replaced (queued with
    octant.core.queue.enqueue_once)."""
    return services.project_funding_rebuild(epoch=epoch)


@coalesced_task()
def broadcast_changes(epoch: int) -> int:
    """Send every websocket client the projects changed since the last broadcast (queued with
    octant.core.queue.enqueue_once)."""
    return realtime.broadcast_changes(epoch=epoch)
