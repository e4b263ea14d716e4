from celery import shared_task

from . import realtime, services


@shared_task(ignore_result=True)
def project_funding_rebuild(epoch: int) -> int:
    """Make the epoch's project aggregates exact again after allocations were replaced."""
    return services.project_funding_rebuild(epoch=epoch)


@shared_task(ignore_result=True)
def broadcast_project_updates(epoch: int, projects: list[str]) -> None:
    """Send every websocket client the state after an allocation (through the shared channel layer)."""
    realtime.broadcast_project_updates(epoch=epoch, projects=projects)
