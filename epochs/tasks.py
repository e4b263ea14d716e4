"""Periodic jobs: thin wrappers over services. Every job is idempotent, so overlapping runs are harmless."""
import logging

from celery import shared_task

from octant.chain.backends import get_chain
from octant.core.exceptions import SnapshotOutOfOrder

from . import services

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def epochs_tick() -> dict:
    """Keep the epoch state current: index new deposit events and started epochs, take the pending
    snapshot as soon as an allocation window opens and the finalized one as soon as it closes, then set
    finalized merkle roots on the Vault."""
    from withdrawals.services import vault_confirm

    events = get_chain().sync_deposit_events()
    epochs = services.epochs_index()
    try:
        pending = services.pending_snapshot_take()
    except SnapshotOutOfOrder as exc:
        logger.error("epochs_tick: %s", exc)
        pending = None
    finalized = services.finalized_snapshot_take()
    vault = vault_confirm()
    if events or epochs or pending or finalized or vault:
        logger.info("epochs_tick: indexed %s deposit events, %s epochs; pending snapshot %s, finalized snapshot "
                    "%s, vault roots %s", events, epochs, pending, finalized, vault)
    return {"depositEvents": events, "epochs": epochs, "pendingSnapshot": pending, "finalizedSnapshot": finalized,
            "vaultRoots": vault}
