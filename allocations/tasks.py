from django.conf import settings

from epochs.selectors import chain_view
from octant.core.queue import coalesced_task

from . import funding, realtime

# Each task keeps the name queued messages (and CELERY_TASK_ROUTES) know it by, from before its `_task` suffix.


@coalesced_task(name="allocations.tasks.project_funding_rebuild")
def project_funding_rebuild_task(epoch: int) -> int:
    """Make the epoch's project aggregates exact again after allocations were replaced (queued with
    octant.core.queue.enqueue_once)."""
    return funding.project_funding_rebuild(epoch=epoch)


def _until_broadcast_allowed(epoch: int) -> float:
    return realtime.broadcast_wait(epoch=epoch)


def _broadcast_lost_after() -> float:
    """A queued broadcast not started within the interval (at least a second) counts as lost (its worker
    killed): the next change or beat tick queues another, so live updates stop for about an interval, not a
    minute. One queued a little late only costs a run that finds nothing left to send."""
    return max(1.0, settings.BROADCAST_MIN_INTERVAL_SECONDS)


@coalesced_task(wait=_until_broadcast_allowed, lost_after=_broadcast_lost_after,
                name="allocations.tasks.broadcast_changes")
def broadcast_changes_task(epoch: int) -> int:
    """Send every websocket client the projects changed since the last broadcast (queued with
    octant.core.queue.enqueue_once). A run that starts inside BROADCAST_MIN_INTERVAL_SECONDS of the last
    broadcast first waits for the interval's end, still the queued run, so the changes committed meanwhile
    coalesce into it. (A countdown instead would leave the timing to the worker's ETA timer, seen seconds
    late under load; the wait is at most the interval and costs no CPU. Give broadcasts a worker of their
    own, BROADCAST_QUEUE, so that they never wait behind a long rebuild either.)"""
    return run_broadcast(epoch)


def run_broadcast(epoch: int) -> int:
    """One broadcast run, by the task above or, delayed, by this process (the in-memory channel layer:
    realtime.schedule_broadcast), on a view of the chain read for it."""
    return realtime.broadcast_changes(epoch=epoch, view=chain_view())
