from celery import shared_task

from octant.core.queue import RETRY_ON_OUTAGE, started

from . import realtime, services


@shared_task(ignore_result=True, **RETRY_ON_OUTAGE)
def project_funding_rebuild(epoch: int) -> int:
    """Make the epoch's project aggregates exact again after allocations were replaced (queued with
    octant.core.queue.enqueue_once)."""
    started(project_funding_rebuild, epoch)
    return services.project_funding_rebuild(epoch=epoch)


@shared_task(ignore_result=True, **RETRY_ON_OUTAGE)
def broadcast_changes(epoch: int) -> int:
    """Send every websocket client the projects changed since the last broadcast (queued with
    octant.core.queue.enqueue_once)."""
    started(broadcast_changes, epoch)
    return realtime.broadcast_changes(epoch=epoch)
