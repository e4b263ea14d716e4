from celery import shared_task

from . import services


@shared_task(name="glm.tasks.glm_transfer", ignore_result=True)  # the name beat uses
def glm_transfer_task() -> int:
    """Send the claimed epoch-0 GLM (beat, every 60 s, when GLM_CLAIM_ENABLED)."""
    return services.transfer_claimed()
