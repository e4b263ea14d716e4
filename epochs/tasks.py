"""Periodic jobs: thin wrappers over services. Every job is idempotent, so overlapping runs are harmless."""
import logging

from celery import shared_task

from octant.chain.backends import get_chain

from . import services

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def epochs_tick() -> dict:
    """Keep the epoch state current: index new deposit events and started epochs."""
    events = get_chain().sync_deposit_events()
    epochs = services.epochs_index()
    if events or epochs:
        logger.info("epochs_tick: indexed %s deposit events, %s epochs", events, epochs)
    return {"depositEvents": events, "epochs": epochs}
