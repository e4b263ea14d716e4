"""Writes about epochs: indexing epoch timing from the chain backend, taking snapshots."""
from django.db import IntegrityError, transaction

from octant.chain.backends import get_chain
from octant.core.api import decimal_string
from octant.core.exceptions import SnapshotOutOfOrder

from .models import Epoch


def epochs_index() -> int:
    """Index the timing of every started epoch not indexed yet; returns how many rows were added.
    Idempotent, and safe to run concurrently (the epoch number is unique)."""
    chain = get_chain()
    current = chain.current_epoch()
    last = Epoch.objects.order_by("-number").values_list("number", flat=True).first() or 0
    rows = []
    for number in range(last + 1, current + 1):
        timing = chain.epoch_timing(number)
        if timing is None:
            break
        rows.append(Epoch(number=number, start=timing.start, duration=timing.duration,
                          decision_window=timing.decision_window))
    if rows:
        with transaction.atomic():
            Epoch.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def pending_snapshot_take() -> int | None:
    """Take the pending snapshot of the epoch whose allocation window is open (lifecycle.md §1.5).

    Returns the epoch when taken, None when there is nothing to do (no open window, or already taken).
    Idempotent and all-or-nothing: the snapshot row, the deposit rows of every processed user and the
    budget rows are written in one transaction; a concurrent run loses on the unique epoch and does nothing.
    Refuses (SnapshotOutOfOrder) while the previous epoch has no pending snapshot: its epoch-end balances
    are this epoch's opening balances.
    """
    from deposits.models import Budget, Deposit
    from users.models import User

    from . import selectors
    from .models import PendingEpochSnapshot

    chain = get_chain()
    view = selectors.chain_view()
    epoch = view.pending
    if epoch is None or PendingEpochSnapshot.objects.filter(epoch=epoch).exists():
        return None
    if epoch > 1 and not PendingEpochSnapshot.objects.filter(epoch=epoch - 1).exists():
        raise SnapshotOutOfOrder(epoch, epoch - 1)
    chain.sync_deposit_events()
    chain.sync_sablier_streams()
    details = selectors.epoch_details(epoch=epoch, view=view)
    data = selectors.pending_snapshot_compute(
        epoch=epoch, start=details.start, end=details.end, staking_proceeds=chain.staking_proceeds(epoch))
    rewards = data.rewards
    try:
        with transaction.atomic():
            PendingEpochSnapshot.objects.create(
                epoch=epoch, eth_proceeds=rewards.staking_proceeds,
                total_effective_deposit=rewards.total_effective_deposit,
                locked_ratio=decimal_string(rewards.locked_ratio),
                total_rewards=rewards.total_rewards, vanilla_individual_rewards=rewards.vanilla_individual_rewards,
                operational_cost=rewards.operational_cost, ppf=rewards.ppf,
                community_fund=rewards.community_fund,
            )
            User.objects.bulk_create((User(address=d.address) for d in data.deposits), batch_size=5000,
                                     ignore_conflicts=True)
            Deposit.objects.bulk_create(
                (Deposit(epoch=epoch, address=d.address, effective_deposit=d.effective_deposit,
                         epoch_end_deposit=d.locked) for d in data.deposits), batch_size=5000)
            Budget.objects.bulk_create(
                (Budget(epoch=epoch, address=address, amount=amount) for address, amount in data.budgets),
                batch_size=5000)
    except IntegrityError:
        if PendingEpochSnapshot.objects.filter(epoch=epoch).exists():
            return None  # a concurrent run took it
        raise
    return epoch


def finalized_snapshot_take() -> int | None:
    """Take the finalized snapshot of the chain's finalized epoch (lifecycle.md §1.6): matched rewards,
    project and user rewards (the merkle leaves), total withdrawals, leftover and the merkle root.

    Returns the epoch when taken, None when there is nothing to do (no finalized epoch, its pending
    snapshot missing, or already finalized). One transaction; a concurrent run loses on the unique epoch."""
    from withdrawals.models import Reward

    from . import rewards, selectors
    from .models import FinalizedEpochSnapshot, PendingEpochSnapshot

    epoch = selectors.chain_view().finalized
    if (not epoch or not PendingEpochSnapshot.objects.filter(epoch=epoch).exists()
            or FinalizedEpochSnapshot.objects.filter(epoch=epoch).exists()):
        return None
    result = rewards.finalization_compute(epoch=epoch)
    project_leaves = result.project_leaves
    try:
        with transaction.atomic():
            FinalizedEpochSnapshot.objects.create(
                epoch=epoch, matched_rewards=result.matched_rewards, patrons_rewards=result.patrons_rewards,
                leftover=result.leftover, withdrawals_merkle_root=result.merkle_root,
                total_withdrawals=result.total_withdrawals,
                staking_matched_reserved_for_v2=result.staking_matched_reserved,
            )
            Reward.objects.bulk_create(
                [Reward(epoch=epoch, address=a, amount=amount, matched=matched) for a, amount, matched in project_leaves]
                + [Reward(epoch=epoch, address=a, amount=amount) for a, amount in result.user_rewards],
                batch_size=5000)
    except IntegrityError:
        if FinalizedEpochSnapshot.objects.filter(epoch=epoch).exists():
            return None
        raise
    return epoch
