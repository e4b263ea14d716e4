"""The epoch transitions and what they compute (composition layer: uses every app below it).

The pending snapshot (docs/lifecycle.md §1.5: effective deposits, Octant rewards, budgets) is taken when an
allocation window opens; the finalized snapshot (§1.6, docs/rewards.md §3.13: matched rewards, project and user rewards,
total withdrawals, leftover, merkle root) when it closes. `finalization_compute` also serves the live figures
of an open window (its simulation, `/epochs/info`)."""
import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from allocations import engine as allocations_engine
from allocations import funding
from allocations import selectors as allocation_selectors
from allocations.models import DonorFunding, EpochFunding, ProjectFunding
from deposits import selectors as deposit_selectors
from deposits.models import Budget, Deposit
from deposits.services import deposit_events_sync, sablier_streams_sync
from epochs import selectors, services
from epochs.models import FinalizedEpochSnapshot, PendingEpochSnapshot
from epochs.rules import epoch_rules
from octant.chain.backends import get_chain
from octant.core.exceptions import MissingSnapshot, SnapshotOutOfOrder
from octant.core import metrics
from octant.core.fields import sum_wei
from octant.core.numeric import decimal_string
from projects.selectors import project_addresses
from projects.services import projects_sync
from rewards import engine as rewards_engine
from users.models import User
from users.selectors import patron_toggles_version, patrons_at, window_patrons
from withdrawals import engine as withdrawals_engine
from withdrawals.models import Reward


# --- the pending snapshot ------------------------------------------------------------------------------

@dataclass(frozen=True)
class PendingSnapshotData:
    """What a pending snapshot holds (docs/rewards.md §3.12), computed but not stored."""

    epoch: int
    rewards: "rewards_engine.OctantRewards"
    deposits: list  # deposits.engine.UserDeposit, every processed user
    budgets: list[tuple[str, int]]  # non-zero budgets


def pending_snapshot_compute(*, epoch: int, start: int, end: int, staking_proceeds: int) -> PendingSnapshotData:
    """Effective deposits over [start, end], the epoch's octant rewards and every user's budget."""
    effective = deposit_selectors.effective_deposits(epoch=epoch, start=start, end=end)
    rules = epoch_rules()
    rewards = rewards_engine.octant_rewards(
        epoch, staking_proceeds=staking_proceeds, total_effective_deposit=effective.total, rules=rules)
    budgets = rewards_engine.user_budgets(
        epoch, deposits=((d.address, d.effective_deposit) for d in effective.deposits),
        total_effective_deposit=effective.total, vanilla_individual_rewards=rewards.vanilla_individual_rewards,
        ppf=rewards.ppf, rules=rules)
    return PendingSnapshotData(epoch=epoch, rewards=rewards, deposits=effective.deposits, budgets=budgets)


def pending_snapshot_simulate(*, view: selectors.ChainView) -> PendingSnapshotData:
    """The pending snapshot of the current epoch as if it ended at the `view`'s time, with the real proceeds
    so far."""
    details = selectors.epoch_details(epoch=view.current)
    return pending_snapshot_compute(epoch=view.current, start=details.start, end=view.now,
                                    staking_proceeds=get_chain().staking_proceeds(view.current))


@metrics.times_snapshot("pending")
def pending_snapshot_take(*, view: selectors.ChainView) -> int | None:
    """Take the pending snapshot of the epoch whose allocation window is open (docs/lifecycle.md §1.5).

    Returns the epoch when taken, None when there is nothing to do (no open window, or already taken).
    Idempotent and all-or-nothing: the snapshot row, the deposit rows of every processed user and the
    budget rows are written in one transaction; a concurrent run loses on the unique epoch and does nothing.
    Refuses (SnapshotOutOfOrder) while the previous epoch has no pending snapshot: its epoch-end balances
    are this epoch's opening balances.
    """
    chain = get_chain()
    epoch = view.pending
    if epoch is None or PendingEpochSnapshot.objects.filter(epoch=epoch).exists():
        return None
    if epoch > 1 and not PendingEpochSnapshot.objects.filter(epoch=epoch - 1).exists():
        raise SnapshotOutOfOrder(epoch, epoch - 1)
    deposit_events_sync()
    sablier_streams_sync()
    projects_sync(current_epoch=view.current)
    details = selectors.epoch_details(epoch=epoch)
    data = pending_snapshot_compute(
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


# --- the finalized snapshot ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Finalization:
    epoch: int
    staking_proceeds: int
    patrons: list[str]
    patrons_rewards: int
    matched_rewards: int
    staking_matched_reserved: int
    project_rewards: allocations_engine.ProjectRewardsResult
    user_rewards: list[tuple[str, int]]  # claimed > 0
    allocations_sum: int
    total_withdrawals: int
    leftover: int
    leaves: list[tuple[str, int]]  # merkle leaves, by address

    @property
    def project_leaves(self) -> list[tuple[str, int, int]]:
        """(address, allocated + matched, matched) of every project paid out."""
        threshold = self.project_rewards.threshold
        return [(r.address, r.allocated + r.matched, r.matched) for r in self.project_rewards.rewards
                if r.allocated > 0 and (threshold is None or r.allocated > threshold)]

    @property
    def merkle_root(self) -> str | None:
        return merkle_root(self.leaves)


_MERKLE_ROOTS: dict[bytes, str | None] = {}


def merkle_root(leaves: list[tuple[str, int]]) -> str | None:
    """The merkle root of `leaves`, the tree built once per distinct set of leaves (a digest of them is the
    key: hashing is ~50x cheaper than the tree) and reused while nothing changed; a few kept per process."""
    key = hashlib.blake2b(repr(leaves).encode(), digest_size=32).digest()
    if key not in _MERKLE_ROOTS:
        if len(_MERKLE_ROOTS) >= 8:
            _MERKLE_ROOTS.pop(next(iter(_MERKLE_ROOTS)))
        _MERKLE_ROOTS[key] = withdrawals_engine.merkle_tree(leaves).root
    return _MERKLE_ROOTS[key]


def simulation_version(*, epoch: int, now: int) -> str | None:
    """A key that changes whenever the finalized snapshot simulated at `now` can (for the answer kept per
    state): the pending snapshot, the projects' aggregates and the donors' totals
    (allocations.selectors.allocations_version) and the patron-mode toggles up to `now`. None when the epoch
    has no aggregates to tell its changes: not kept."""
    allocations = allocation_selectors.allocations_version(epoch=epoch)
    if allocations is None:
        return None
    snapshot = PendingEpochSnapshot.objects.filter(epoch=epoch).values_list("id", flat=True).first()
    return f"{snapshot}:{allocations}:" + patron_toggles_version(timestamp=now)


def finalization_compute(*, epoch: int, at: int | None = None, from_aggregates: bool = False,
                         users: bool = True) -> Finalization:
    """The finalized snapshot of `epoch` as it stands (docs/rewards.md §3.13). Patrons are taken at `at` (default:
    the close of the epoch's allocation window). MissingSnapshot without a pending snapshot.

    `from_aggregates`: the same figures from the kept aggregates (projects, donors, the epoch's Σ claimed)
    in O(projects + donors), or O(projects) without `users` (then `user_rewards` and `leaves` are empty);
    the full computation where the aggregates cannot give them exactly (exact mode)."""
    snapshot = PendingEpochSnapshot.objects.filter(epoch=epoch).first()
    if snapshot is None:
        raise MissingSnapshot()
    patrons = window_patrons(epoch=epoch) if at is None else patrons_at(timestamp=at)
    if from_aggregates and allocation_selectors.aggregates_usable(epoch=epoch):
        return _finalization_from_aggregates(snapshot, patrons=patrons, users=users)
    budgets = deposit_selectors.budgets_by_address(epoch=epoch)
    patrons_rewards = rewards_engine.patrons_rewards(budgets, patrons)
    rewards, matched = selectors.rewards_and_matched(snapshot, patrons_rewards=patrons_rewards)
    allocations = allocation_selectors.allocations_with_uq(epoch=epoch)
    project_rewards = allocations_engine.project_rewards(
        epoch, allocations=allocations, projects=project_addresses(epoch=epoch), matched_rewards=matched,
        rules=epoch_rules())
    by_user: dict[str, int] = {}
    for allocation in allocations:
        by_user[allocation["donor"]] = by_user.get(allocation["donor"], 0) + allocation["amount"]
    claimed = rewards_engine.claimed_rewards(budgets, by_user)
    return _finalization(snapshot, patrons=patrons, patrons_rewards=patrons_rewards, rewards=rewards,
                         matched=matched, project_rewards=project_rewards, claimed=claimed,
                         claimed_sum=sum(c for _, c in claimed), allocations_sum=sum(by_user.values()),
                         with_leaves=True)


def _finalization(snapshot: PendingEpochSnapshot, *, patrons, patrons_rewards, rewards, matched, project_rewards,
                  claimed, claimed_sum, allocations_sum, with_leaves) -> Finalization:
    """Total withdrawals, leftover and (with_leaves) the merkle leaves from the epoch's parts."""
    total_withdrawals = rewards_engine.total_withdrawals(
        claimed_rewards_sum=claimed_sum, project_rewards_sum=project_rewards.rewards_sum)
    leftover = rewards_engine.leftover(
        snapshot.epoch, staking_proceeds=snapshot.eth_proceeds, operational_cost=snapshot.operational_cost,
        community_fund=snapshot.community_fund, ppf=snapshot.ppf, total_withdrawals=total_withdrawals,
        matched_rewards=matched, used_matched_rewards=project_rewards.used_matched_rewards, rules=epoch_rules())
    result = Finalization(
        epoch=snapshot.epoch, staking_proceeds=snapshot.eth_proceeds, patrons=patrons,
        patrons_rewards=patrons_rewards, matched_rewards=matched,
        staking_matched_reserved=rewards.staking_matched_reserved, project_rewards=project_rewards,
        user_rewards=claimed, allocations_sum=allocations_sum, total_withdrawals=total_withdrawals,
        leftover=leftover, leaves=[],
    )
    if with_leaves:
        leaves = sorted([*claimed, *((a, amount) for a, amount, _ in result.project_leaves)])
        object.__setattr__(result, "leaves", leaves)
    return result


def _finalization_from_aggregates(snapshot: PendingEpochSnapshot, *, patrons: list[str], users: bool) -> Finalization:
    epoch = snapshot.epoch
    patrons_rewards = deposit_selectors.patrons_rewards(epoch=epoch, patrons=patrons)
    rewards, matched = selectors.rewards_and_matched(snapshot, patrons_rewards=patrons_rewards)
    project_rewards = allocation_selectors._estimated_project_rewards(
        epoch=epoch, projects=project_addresses(epoch=epoch), matched=matched, exact=True)
    if users:
        claimed = [(address, amount) for address, amount in DonorFunding.objects.filter(
            epoch=epoch, claimed__gt=0).order_by("first_allocation_id").values_list("address", "claimed")]
        claimed_sum = sum(amount for _, amount in claimed)
    else:
        claimed = []
        claimed_sum = EpochFunding.objects.filter(epoch=epoch).values_list("claimed", flat=True).first() or 0
    return _finalization(snapshot, patrons=patrons, patrons_rewards=patrons_rewards, rewards=rewards,
                         matched=matched, project_rewards=project_rewards, claimed=claimed, claimed_sum=claimed_sum,
                         allocations_sum=sum_wei(ProjectFunding.objects.filter(epoch=epoch), "allocated"),
                         with_leaves=users)


@metrics.times_snapshot("finalized")
def finalized_snapshot_take(*, view: selectors.ChainView) -> int | None:
    """Take the finalized snapshot of the chain's finalized epoch (docs/lifecycle.md §1.6): matched rewards,
    project and user rewards (the merkle leaves), total withdrawals, leftover and the merkle root.

    Returns the epoch when taken, None when there is nothing to do (no finalized epoch, its pending
    snapshot missing, or already finalized). One transaction, which first locks the epoch's totals
    (allocations.funding.lock_totals) and marks them finalized: every change of the window's allocations
    and patrons takes that lock before it commits, so a change in flight commits before the allocations are
    read here, and one that comes later finds them finalized and is refused. A concurrent run waits there
    and finds the snapshot taken."""
    epoch = view.finalized
    if (not epoch or not PendingEpochSnapshot.objects.filter(epoch=epoch).exists()
            or FinalizedEpochSnapshot.objects.filter(epoch=epoch).exists()):
        return None
    try:
        with transaction.atomic():
            if funding.lock_totals(epoch=epoch) or FinalizedEpochSnapshot.objects.filter(epoch=epoch).exists():
                return None
            funding.mark_finalized(epoch=epoch)
            result = finalization_compute(epoch=epoch)
            project_leaves = result.project_leaves
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
