"""Periodic jobs: thin wrappers over services. Every job is idempotent, so overlapping runs are harmless."""
import logging

from celery import shared_task

from octant.chain.backends import get_chain
from octant.core.exceptions import SnapshotOutOfOrder

from . import services

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def epochs_tick() -> dict:
    """Keep the epoch state current: index new deposit events and started epochs, and take the pending
    snapshot as soon as an allocation window opens."""
    events = get_chain().sync_deposit_events()
    epochs = services.epochs_index()
    try:
        pending = services.pending_snapshot_take()
    except SnapshotOutOfOrder as exc:
        logger.error("epochs_tick: %s", exc)
        pending = None
    if events or epochs or pending:
        logger.info("epochs_tick: indexed %s deposit events, %s epochs; pending snapshot %s", events, epochs, pending)
    return {"depositEvents": events, "epochs": epochs, "pendingSnapshot": pending}
