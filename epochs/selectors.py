"""Reads about epochs: what the chain says now, the state of an epoch (lifecycle.md §1.3), epoch timing."""
import enum
from dataclasses import dataclass

from epochs import engine as epochs_engine
from octant.chain.backends import get_chain
from epochs.rules import epoch_rules
from octant.core.exceptions import EpochNotIndexed, InvalidEpoch

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
    """One consistent read of the Epochs contract, taken once per request or job."""

    now: int
    current: int
    pending: int | None
    finalized: int
    window_open: bool


def chain_view() -> ChainView:
    now, current, pending, finalized, window_open = get_chain().epoch_view()
    return ChainView(now=now, current=current, pending=pending, finalized=finalized, window_open=window_open)


def epoch_state(*, epoch: int, view: ChainView | None = None) -> EpochState:
    """The state of `epoch`; InvalidEpoch for a past epoch that was never snapshotted."""
    view = view or chain_view()
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
    """The last epoch whose timing has been indexed (0 if none)."""
    from .services import epochs_index

    epochs_index()
    last = Epoch.objects.order_by("-number").first()
    return last.number if last else 0


def epoch_details(*, epoch: int, view: ChainView | None = None) -> Epoch:
    """Timing of a started epoch (indexed on demand), or of a future one from the chain's schedule.
    Unsaved for future epochs. EpochNotIndexed if the chain cannot tell."""
    row = Epoch.objects.filter(number=epoch).first()
    if row:
        return row
    view = view or chain_view()
    if 1 <= epoch <= view.current:
        from .services import epochs_index

        epochs_index()
        row = Epoch.objects.filter(number=epoch).first()
        if row:
            return row
    timing = get_chain().epoch_timing(epoch) if epoch > view.current else None
    if timing is None:
        raise EpochNotIndexed(epoch)
    return Epoch(number=epoch, start=timing.start, duration=timing.duration, decision_window=timing.decision_window)


def last_pending_snapshot_epoch() -> int | None:
    row = PendingEpochSnapshot.objects.order_by("-epoch").first()
    return row.epoch if row else None


def last_finalized_snapshot_epoch() -> int | None:
    row = FinalizedEpochSnapshot.objects.order_by("-epoch").first()
    return row.epoch if row else None


@dataclass(frozen=True)
class PendingSnapshotData:
    """What a pending snapshot holds (math.md §3.12), computed but not stored."""

    epoch: int
    rewards: "epochs_engine.OctantRewards"
    deposits: list  # deposits.engine.UserDeposit, every processed user
    budgets: list[tuple[str, int]]  # non-zero budgets


def pending_snapshot_compute(*, epoch: int, start: int, end: int, staking_proceeds: int) -> PendingSnapshotData:
    """Effective deposits over [start, end], the epoch's octant rewards and every user's budget."""
    from deposits import selectors as deposit_selectors

    effective = deposit_selectors.effective_deposits(epoch=epoch, start=start, end=end)
    rules = epoch_rules()
    rewards = epochs_engine.octant_rewards(
        epoch, staking_proceeds=staking_proceeds, total_effective_deposit=effective.total, rules=rules)
    budgets = epochs_engine.user_budgets(
        epoch, deposits=((d.address, d.effective_deposit) for d in effective.deposits),
        total_effective_deposit=effective.total, vanilla_individual_rewards=rewards.vanilla_individual_rewards,
        ppf=rewards.ppf, rules=rules)
    return PendingSnapshotData(epoch=epoch, rewards=rewards, deposits=effective.deposits, budgets=budgets)


def pending_snapshot_simulate() -> PendingSnapshotData:
    """The pending snapshot of the current epoch as if it ended now, with the real proceeds so far."""
    view = chain_view()
    details = epoch_details(epoch=view.current, view=view)
    return pending_snapshot_compute(epoch=view.current, start=details.start, end=view.now,
                                    staking_proceeds=get_chain().staking_proceeds(view.current))


def epoch_has_pending_snapshot(*, epoch: int) -> bool:
    """Whether `epoch`'s pending snapshot exists: from then on its projects and inputs are the past, frozen."""
    return PendingEpochSnapshot.objects.filter(epoch=epoch).exists()


def epochs_with_pending_snapshot(*, epochs) -> set[int]:
    """Which of `epochs` have their pending snapshot (one query)."""
    return set(PendingEpochSnapshot.objects.filter(epoch__in=set(epochs)).values_list("epoch", flat=True))
