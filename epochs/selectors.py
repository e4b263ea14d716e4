"""Reads about epochs: what the chain says now, the state of an epoch (docs/lifecycle.md §1.3), epoch timing, and
the Octant rewards of an epoch from its pending snapshot."""
import enum
from dataclasses import dataclass

from epochs.rules import epoch_rules
from octant.chain.backends import get_chain
from octant.core.exceptions import EpochNotIndexed, InvalidEpoch
from rewards import engine as rewards_engine

from .models import Epoch, FinalizedEpochSnapshot, PendingEpochSnapshot


class EpochState(enum.IntEnum):
    """Ordered as the reference orders them, so `state <= PENDING` means "has a pending snapshot"."""

    FINALIZED = 1
    FINALIZING = 2
    PENDING = 3
    PRE_PENDING = 4
    CURRENT = 5
    SIMULATED = 6
    FUTURE = 7


@dataclass(frozen=True)
class ChainView:
    """One consistent read of the Epochs contract, taken once per unit of work: `chain_view()` is called by the
    entry points only (an HTTP view, a socket's event, a Celery task, a command, an admin page), which pass it
    down as the required `view` (or its `now`) to the reads and writes below them."""

    now: int
    current: int
    pending: int | None
    finalized: int
    window_open: bool


def chain_view() -> ChainView:
    now, current, pending, finalized, window_open = get_chain().epoch_view()
    return ChainView(now=now, current=current, pending=pending, finalized=finalized, window_open=window_open)


def epoch_state(*, epoch: int, view: ChainView) -> EpochState:
    """The state of `epoch`; InvalidEpoch for a past epoch that was never snapshotted."""
    if epoch > view.current:
        return EpochState.FUTURE
    if epoch == view.current:
        return EpochState.CURRENT
    has_pending = PendingEpochSnapshot.objects.filter(epoch=epoch).exists()
    if epoch == view.pending:
        return EpochState.PENDING if has_pending else EpochState.PRE_PENDING
    if not has_pending:
        raise InvalidEpoch()
    if FinalizedEpochSnapshot.objects.filter(epoch=epoch).exists():
        return EpochState.FINALIZED
    return EpochState.FINALIZING


def indexed_epoch() -> int:
    """The last epoch whose timing has been indexed (0 if none); `services.epochs_index` indexes."""
    last = Epoch.objects.order_by("-number").values_list("number", flat=True).first()
    return last or 0


def epoch_details(*, epoch: int) -> Epoch:
    """Timing of an indexed epoch, else of a started or the next epoch as the chain tells it (unsaved:
    reads never write; `services.epochs_index` stores it). EpochNotIndexed if the chain cannot tell."""
    row = Epoch.objects.filter(number=epoch).first()
    if row:
        return row
    if epoch < 1:
        raise EpochNotIndexed(epoch)
    timing = get_chain().epoch_timing(epoch)
    if timing is None:
        raise EpochNotIndexed(epoch)
    return Epoch(number=epoch, start=timing.start, duration=timing.duration, decision_window=timing.decision_window)


def last_pending_snapshot_epoch() -> int | None:
    row = PendingEpochSnapshot.objects.order_by("-epoch").first()
    return row.epoch if row else None


def last_finalized_snapshot_epoch() -> int | None:
    row = FinalizedEpochSnapshot.objects.order_by("-epoch").first()
    return row.epoch if row else None


def epoch_has_pending_snapshot(*, epoch: int) -> bool:
    """Whether `epoch`'s pending snapshot exists: from then on its projects and inputs are the past, frozen."""
    return PendingEpochSnapshot.objects.filter(epoch=epoch).exists()


def epochs_with_pending_snapshot(*, epochs) -> set[int]:
    """Which of `epochs` have their pending snapshot (one query)."""
    return set(PendingEpochSnapshot.objects.filter(epoch__in=set(epochs)).values_list("epoch", flat=True))


def octant_rewards_of(snapshot: PendingEpochSnapshot, *, patrons_rewards: int = 0) -> rewards_engine.OctantRewards:
    return rewards_engine.octant_rewards(snapshot.epoch, staking_proceeds=snapshot.eth_proceeds,
                                         total_effective_deposit=snapshot.total_effective_deposit,
                                         patrons_rewards=patrons_rewards, rules=epoch_rules())


def rewards_and_matched(snapshot: PendingEpochSnapshot, *, patrons_rewards: int) -> tuple:
    """The epoch's Octant rewards and its matched rewards; where the strategy is invalid (locked ratio above
    0.7 in epochs 3-10) only the patrons' rewards are matched."""
    rewards = octant_rewards_of(snapshot, patrons_rewards=patrons_rewards)
    return rewards, rewards.matched_rewards_or_patrons
