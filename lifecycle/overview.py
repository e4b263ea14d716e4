"""`/epochs/info/{epoch}` for every state of an epoch (composition layer)."""
from dataclasses import dataclass

from django.core.cache import cache

from allocations import engine as allocations_engine
from allocations import selectors as allocation_selectors
from deposits import selectors as deposit_selectors
from epochs import selectors
from epochs.models import FinalizedEpochSnapshot, PendingEpochSnapshot
from epochs.rules import epoch_rules
from epochs.selectors import EpochState
from octant.chain.backends import get_chain
from rewards import engine as rewards_engine

from .snapshots import finalization_compute


@dataclass(frozen=True)
class EpochInfo:
    """The figures of `/epochs/info/{epoch}`; None where the epoch's state does not have them yet."""

    epoch: int
    staking_proceeds: int
    total_effective_deposit: int
    total_rewards: int
    vanilla_individual_rewards: int
    operational_cost: int
    total_withdrawals: int | None = None
    patrons_rewards: int | None = None
    matched_rewards: int | None = None
    leftover: int | None = None  # may be negative
    ppf: int | None = None
    community_fund: int | None = None
    donated_to_projects: int | None = None
    staking_matched_reserved_for_v2: int | None = 0


def _info(epoch, rewards: rewards_engine.OctantRewards, **extra) -> EpochInfo:
    return EpochInfo(
        epoch=epoch, staking_proceeds=rewards.staking_proceeds,
        total_effective_deposit=rewards.total_effective_deposit, total_rewards=rewards.total_rewards,
        vanilla_individual_rewards=rewards.vanilla_individual_rewards, operational_cost=rewards.operational_cost,
        ppf=rewards.ppf, community_fund=rewards.community_fund, **extra)


def epoch_info(*, epoch: int, view: selectors.ChainView) -> EpochInfo:
    """`/epochs/info/{epoch}` (docs/lifecycle.md §1.3): estimates for future and current epochs, real proceeds
    and deposits while the window opens, snapshot figures (plus live finalization) afterwards."""
    state = selectors.epoch_state(epoch=epoch, view=view)
    if state in (EpochState.FUTURE, EpochState.CURRENT, EpochState.PRE_PENDING):
        details = selectors.epoch_details(epoch=epoch)
        if state is EpochState.FUTURE:
            total = get_chain().total_locked()
        else:
            total = deposit_selectors.effective_deposits(epoch=epoch, start=details.start, end=details.end).total
        if state is EpochState.PRE_PENDING:
            proceeds = get_chain().staking_proceeds(epoch)
        else:
            proceeds = rewards_engine.estimated_staking_proceeds(details.duration)
        rewards = rewards_engine.octant_rewards(epoch, staking_proceeds=proceeds, total_effective_deposit=total,
                                                rules=epoch_rules())
        return _info(epoch, rewards)
    snapshot = PendingEpochSnapshot.objects.get(epoch=epoch)
    finalized = FinalizedEpochSnapshot.objects.filter(epoch=epoch).first()
    if finalized is None:  # live figures, computed once per state of the epoch and shared (the web client polls)
        key = f"epoch-info:{state.name}:" + allocation_selectors.funding_version(epoch=epoch, now=view.now,
                                                                                claimed=True)
        info = cache.get(key)
        if info is None:
            live = finalization_compute(epoch=epoch, at=view.now if state is EpochState.PENDING else None,
                                        from_aggregates=True, users=False)
            info = _info(epoch, selectors.octant_rewards_of(snapshot, patrons_rewards=live.patrons_rewards),
                         total_withdrawals=live.total_withdrawals, patrons_rewards=live.patrons_rewards,
                         matched_rewards=live.matched_rewards, leftover=live.leftover,
                         donated_to_projects=live.project_rewards.rewards_sum,
                         staking_matched_reserved_for_v2=live.staking_matched_reserved)
            cache.set(key, info, timeout=3600)
        return info
    unused = rewards_engine.unused_matched_rewards(
        epoch, leftover=finalized.leftover, staking_proceeds=snapshot.eth_proceeds,
        operational_cost=snapshot.operational_cost, community_fund=snapshot.community_fund, ppf=snapshot.ppf,
        total_withdrawals=finalized.total_withdrawals or 0, rules=epoch_rules())
    if allocation_selectors.aggregates_usable(epoch=epoch):  # Σ per project: all the donated sum needs
        allocations = [{"project": a.address, "amount": a.allocated}
                       for a in allocation_selectors.exact_funding_aggregates(epoch=epoch)]
    else:
        allocations = allocation_selectors.allocations_with_uq(epoch=epoch)
    donated = rewards_engine.donated_to_projects(
        matched_rewards=finalized.matched_rewards, unused_matched_rewards=unused,
        allocations_sum=sum(a["amount"] for a in allocations),
        below_threshold_sum=allocations_engine.below_threshold_sum(epoch, allocations=allocations,
                                                                   rules=epoch_rules()))
    return _info(epoch, selectors.octant_rewards_of(snapshot, patrons_rewards=finalized.patrons_rewards),
                 total_withdrawals=finalized.total_withdrawals, patrons_rewards=finalized.patrons_rewards,
                 matched_rewards=finalized.matched_rewards, leftover=finalized.leftover, donated_to_projects=donated,
                 staking_matched_reserved_for_v2=finalized.staking_matched_reserved_for_v2)
