"""Reads about allocations."""
from epochs.models import FinalizedEpochSnapshot
from octant.core.exceptions import MissingSnapshot
from octant.core.fields import sum_wei

from .models import Allocation


def live_allocations(*, epoch: int):
    return Allocation.objects.filter(epoch=epoch, deleted_at__isnull=True)


def allocations_sum(*, epoch: int) -> int:
    return sum_wei(live_allocations(epoch=epoch), "amount")


def finalized_epoch_leverage(*, epoch: int) -> float:
    """fl(MR / Σ allocations) of a finalized epoch, 0.0 without allocations (math.md §4.6)."""
    snapshot = FinalizedEpochSnapshot.objects.filter(epoch=epoch).first()
    if snapshot is None:
        raise MissingSnapshot()
    total = allocations_sum(epoch=epoch)
    return snapshot.matched_rewards / total if total else 0.0
