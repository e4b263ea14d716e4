from celery import shared_task

from epochs.selectors import chain_view

from . import services


@shared_task(name="multisig.tasks.multisig_approve", ignore_result=True)  # the name beat uses
def multisig_approve_task() -> dict:
    """Apply the Safe messages whose owners have confirmed them (beat: MULTISIG_APPROVE_SECONDS)."""
    return services.approve_pending(read_view=chain_view)
