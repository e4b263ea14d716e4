"""The beat tick that moves epochs through their lifecycle: a thin wrapper over the apps' services and the
snapshots. It is idempotent, so overlapping runs are harmless."""
import logging

from celery import shared_task
from django.conf import settings

from octant.chain.backends import get_chain
from octant.core import metrics
from octant.core.exceptions import SnapshotOutOfOrder
from octant.core.queue import run_alone

from allocations.services import catch_up
from deposits.services import deposit_events_sync, sablier_streams_sync
from epochs import selectors, services
from projects.services import projects_sync
from withdrawals.services import vault_confirm

from . import snapshots

logger = logging.getLogger(__name__)


@shared_task(name="epochs.tasks.epochs_tick", ignore_result=True)  # the name beat and queued messages use
def epochs_tick_task() -> dict:
    """Keep the epoch state current: index new deposit events (Sablier stream actions included) and started epochs, take the pending
    snapshot as soon as an allocation window opens and the finalized one as soon as it closes, then set
    finalized merkle roots on the Vault; then queue what allocations could not (allocations.services.catch_up).

    At most one run at a time (a cache lock): after a worker outage the backlog of queued ticks (which also
    expire, see CELERY_BEAT_SCHEDULE) must not each recompute a snapshot that only one of them writes."""
    with run_alone("epochs_tick", timeout=settings.EPOCH_TICK_LOCK_SECONDS) as alone:
        if not alone:
            logger.info("epochs_tick: another run is in progress; skipped")
            return {"skipped": True}
        return _tick()


def _tick() -> dict:
    chain = get_chain()
    events = deposit_events_sync() + sablier_streams_sync()
    chain.index()  # what the backend keeps itself (ethereum: vault withdrawals and roots)
    # the tick's one read of the epoch state, after the deposit events are stored: every step below acts on
    # it, and what changes meanwhile is the next tick's
    view = selectors.chain_view()
    projects_sync(current_epoch=view.current)
    epochs = services.epochs_index(view=view)
    try:
        pending = snapshots.pending_snapshot_take(view=view)
    except SnapshotOutOfOrder as exc:
        logger.error("epochs_tick: %s", exc)
        pending = None
    finalized = snapshots.finalized_snapshot_take(view=view)
    vault = vault_confirm()
    if view.pending is not None:
        try:
            catch_up(epoch=view.pending)
        except Exception:
            logger.exception("epochs_tick: queueing the allocations' catch-up failed")
    metrics.observe_chain(chain, epoch=view.current, indexed_epoch=selectors.indexed_epoch())
    if events or epochs or pending or finalized or vault:
        logger.info("epochs_tick: indexed %s deposit events, %s epochs; pending snapshot %s, finalized snapshot "
                    "%s, vault roots %s", events, epochs, pending, finalized, vault)
    return {"depositEvents": events, "epochs": epochs, "pendingSnapshot": pending, "finalizedSnapshot": finalized,
            "vaultRoots": vault}
