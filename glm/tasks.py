from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def glm_transfer() -> int:
    """Send the claimed epoch-0 GLM (beat, every 60 s, when GLM_CLAIM_ENABLED)."""
    return services.transfer_claimed()
