from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def project_funding_rebuild(epoch: int) -> int:
    """Make the epoch's project aggregates exact again after allocations were replaced."""
    return services.project_funding_rebuild(epoch=epoch)
