"""Reads that compute an epoch's rewards from its snapshots and live data: the finalization figures
(math.md §3.13, shared by the finalized snapshot, its simulation and the live estimates) and
`/epochs/info` for every state."""
from dataclasses import dataclass

from allocations import engine as allocations_engine
from deposits.models import Budget
from epochs import engine as epochs_engine
from epochs.rules import epoch_rules
from octant.chain.backends import get_chain
from octant.core.exceptions import MissingSnapshot
from withdrawals import engine as withdrawals_engine

from . import selectors
from .models import FinalizedEpochSnapshot, PendingEpochSnapshot
from .selectors import EpochState


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
    import hashlib

    key = hashlib.blake2b(repr(leaves).encode(), digest_size=32).digest()
    if key not in _MERKLE_ROOTS:
        if len(_MERKLE_ROOTS) >= 8:
            _MERKLE_ROOTS.pop(next(iter(_MERKLE_ROOTS)))
        _MERKLE_ROOTS[key] = withdrawals_engine.merkle_tree(leaves).root
    return _MERKLE_ROOTS[key]


def octant_rewards_of(snapshot: PendingEpochSnapshot, *, patrons_rewards: int = 0) -> epochs_engine.OctantRewards:
    return epochs_engine.octant_rewards(snapshot.epoch, staking_proceeds=snapshot.eth_proceeds,
                                        total_effective_deposit=snapshot.total_effective_deposit,
                                        patrons_rewards=patrons_rewards, rules=epoch_rules())


def rewards_and_matched(snapshot: PendingEpochSnapshot, *, patrons_rewards: int) -> tuple:
    """The epoch's Octant rewards and its matched rewards; where the strategy is invalid (locked ratio above
    0.7 in epochs 3-10) only the patrons' rewards are matched."""
    rewards = octant_rewards_of(snapshot, patrons_rewards=patrons_rewards)
    try:
        return rewards, rewards.matched_rewards
    except epochs_engine.InvalidMatchedRewardsStrategy:
        return rewards, patrons_rewards


def patron_toggles(*, timestamp: int) -> list[dict]:
    """Every patron-mode toggle up to chain time `timestamp`, in order, as epochs.engine.patrons takes them."""
    from users.models import PatronEvent

    return [{"user": a, "enabled": e, "created_at": t} for a, e, t in
            PatronEvent.objects.filter(timestamp__lte=timestamp).order_by("id")
            .values_list("address", "enabled", "timestamp")]


def patrons_at(*, epoch: int, timestamp: int) -> list[str]:
    """Users in patron mode at chain time `timestamp` (math.md §3.8)."""
    return epochs_engine.patrons(patron_toggles(timestamp=timestamp), at=timestamp)


def finalization_compute(*, epoch: int, at: int | None = None, from_aggregates: bool = False,
                         users: bool = True) -> Finalization:
    """The finalized snapshot of `epoch` as it stands (math.md §3.13). Patrons are taken at `at` (default:
    the close of the epoch's allocation window). MissingSnapshot without a pending snapshot.

    `from_aggregates`: the same figures from the kept aggregates (projects, donors, the epoch's Σ claimed)
    in O(projects + donors), or O(projects) without `users` (then `user_rewards` and `leaves` are empty);
    the full computation where the aggregates cannot give them exactly (exact mode)."""
    from allocations import selectors as allocation_selectors
    from projects.selectors import project_addresses

    snapshot = PendingEpochSnapshot.objects.filter(epoch=epoch).first()
    if snapshot is None:
        raise MissingSnapshot()
    if at is None:
        at = selectors.epoch_details(epoch=epoch).finalized_at
    if from_aggregates and allocation_selectors.aggregates_usable(epoch=epoch):
        return _finalization_from_aggregates(snapshot, at=at, users=users)
    budgets = dict(Budget.objects.filter(epoch=epoch).values_list("address", "amount"))
    patrons = patrons_at(epoch=epoch, timestamp=at)
    patrons_rewards = epochs_engine.patrons_rewards(budgets, patrons)
    rewards, matched = rewards_and_matched(snapshot, patrons_rewards=patrons_rewards)
    allocations = allocation_selectors.allocations_with_uq(epoch=epoch)
    project_rewards = allocations_engine.project_rewards(
        epoch, allocations=allocations, projects=project_addresses(epoch=epoch), matched_rewards=matched,
        rules=epoch_rules())
    by_user: dict[str, int] = {}
    for allocation in allocations:
        by_user[allocation["donor"]] = by_user.get(allocation["donor"], 0) + allocation["amount"]
    claimed = epochs_engine.claimed_rewards(budgets, by_user)
    return _finalization(snapshot, patrons=patrons, patrons_rewards=patrons_rewards, rewards=rewards,
                         matched=matched, project_rewards=project_rewards, claimed=claimed,
                         claimed_sum=sum(c for _, c in claimed), allocations_sum=sum(by_user.values()),
                         with_leaves=True)


def _finalization(snapshot: PendingEpochSnapshot, *, patrons, patrons_rewards, rewards, matched, project_rewards,
                  claimed, claimed_sum, allocations_sum, with_leaves) -> Finalization:
    """Total withdrawals, leftover and (with_leaves) the merkle leaves from the epoch's parts."""
    total_withdrawals = epochs_engine.total_withdrawals(
        claimed_rewards_sum=claimed_sum, project_rewards_sum=project_rewards.rewards_sum)
    leftover = epochs_engine.leftover(
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


def _finalization_from_aggregates(snapshot: PendingEpochSnapshot, *, at: int, users: bool) -> Finalization:
    from allocations import selectors as allocation_selectors
    from allocations.models import DonorFunding, EpochFunding, ProjectFunding
    from octant.core.fields import sum_wei
    from projects.selectors import project_addresses

    epoch = snapshot.epoch
    patrons = patrons_at(epoch=epoch, timestamp=at)
    patrons_rewards = sum_wei(Budget.objects.filter(epoch=epoch, address__in=set(patrons)), "amount") \
        if patrons else 0
    rewards, matched = rewards_and_matched(snapshot, patrons_rewards=patrons_rewards)
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


# --- /epochs/info --------------------------------------------------------------------------------------

def _wei(value):
    return None if value is None else str(value)


def _info(epoch, rewards: epochs_engine.OctantRewards, **extra) -> dict:
    body = {
        "epoch": epoch,
        "stakingProceeds": str(rewards.staking_proceeds),
        "totalEffectiveDeposit": str(rewards.total_effective_deposit),
        "totalRewards": str(rewards.total_rewards),
        "vanillaIndividualRewards": str(rewards.vanilla_individual_rewards),
        "operationalCost": str(rewards.operational_cost),
        "totalWithdrawals": None, "patronsRewards": None, "matchedRewards": None, "leftover": None,
        "ppf": _wei(rewards.ppf), "communityFund": _wei(rewards.community_fund),
        "donatedToProjects": None, "stakingMatchedReservedForV2": "0",
    }
    body.update({key: _wei(value) for key, value in extra.items()})
    return body


def epoch_info(*, epoch: int) -> dict:
    """`/epochs/info/{epoch}` (lifecycle.md §1.3): estimates for future and current epochs, real proceeds
    and deposits while the window opens, snapshot figures (plus live finalization) afterwards."""
    from allocations import selectors as allocation_selectors
    from deposits import selectors as deposit_selectors

    view = selectors.chain_view()
    state = selectors.epoch_state(epoch=epoch, view=view)
    if state in (EpochState.FUTURE, EpochState.CURRENT, EpochState.PRE_PENDING):
        details = selectors.epoch_details(epoch=epoch, view=view)
        if state is EpochState.FUTURE:
            total = get_chain().total_locked()
        else:
            total = deposit_selectors.effective_deposits(epoch=epoch, start=details.start, end=details.end).total
        if state is EpochState.PRE_PENDING:
            proceeds = get_chain().staking_proceeds(epoch)
        else:
            proceeds = epochs_engine.estimated_staking_proceeds(details.duration)
        rewards = epochs_engine.octant_rewards(epoch, staking_proceeds=proceeds, total_effective_deposit=total,
                                               rules=epoch_rules())
        return _info(epoch, rewards)
    snapshot = PendingEpochSnapshot.objects.get(epoch=epoch)
    finalized = FinalizedEpochSnapshot.objects.filter(epoch=epoch).first()
    if finalized is None:
        live = finalization_compute(epoch=epoch, at=view.now if state is EpochState.PENDING else None,
                                    from_aggregates=True, users=False)
        return _info(epoch, octant_rewards_of(snapshot, patrons_rewards=live.patrons_rewards),
                     totalWithdrawals=live.total_withdrawals, patronsRewards=live.patrons_rewards,
                     matchedRewards=live.matched_rewards, leftover=live.leftover,
                     donatedToProjects=live.project_rewards.rewards_sum,
                     stakingMatchedReservedForV2=live.staking_matched_reserved)
    unused = epochs_engine.unused_matched_rewards(
        epoch, leftover=finalized.leftover, staking_proceeds=snapshot.eth_proceeds,
        operational_cost=snapshot.operational_cost, community_fund=snapshot.community_fund, ppf=snapshot.ppf,
        total_withdrawals=finalized.total_withdrawals or 0, rules=epoch_rules())
    if allocation_selectors.aggregates_usable(epoch=epoch):  # Σ per project: all the donated sum needs
        allocations = [{"project": a.address, "amount": a.allocated}
                       for a in allocation_selectors.exact_funding_aggregates(epoch=epoch)]
    else:
        allocations = allocation_selectors.allocations_with_uq(epoch=epoch)
    donated = epochs_engine.donated_to_projects(
        matched_rewards=finalized.matched_rewards, unused_matched_rewards=unused,
        allocations_sum=sum(a["amount"] for a in allocations),
        below_threshold_sum=allocations_engine.below_threshold_sum(epoch, allocations=allocations,
                                                                   rules=epoch_rules()))
    return _info(epoch, octant_rewards_of(snapshot, patrons_rewards=finalized.patrons_rewards),
                 totalWithdrawals=finalized.total_withdrawals, patronsRewards=finalized.patrons_rewards,
                 matchedRewards=finalized.matched_rewards, leftover=finalized.leftover, donatedToProjects=donated,
                 stakingMatchedReservedForV2=finalized.staking_matched_reserved_for_v2)
