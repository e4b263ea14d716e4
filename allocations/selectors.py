"""Reads about allocations."""
from decimal import Decimal

from epochs.models import FinalizedEpochSnapshot
from octant.core.exceptions import MissingSnapshot
from octant.core.fields import sum_wei

from .models import Allocation, UniquenessQuotient


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


def allocations_with_uq(*, epoch: int) -> list[dict]:
    """The epoch's live allocations in the order they were made, each with its donor's UQ score (None when
    the donor has none: it counts as 0), as the project-rewards engine takes them."""
    scores = {user_id: Decimal(score) for user_id, score in
              UniquenessQuotient.objects.filter(epoch=epoch).values_list("user_id", "score")}
    rows = live_allocations(epoch=epoch).order_by("id").values_list(
        "user_id", "user__address", "project_address", "amount")
    return [{"donor": address, "project": project, "amount": amount, "uq": scores.get(user_id)}
            for user_id, address, project, amount in rows.iterator(chunk_size=20_000)]
