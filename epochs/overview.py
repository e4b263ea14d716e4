"""`/epochs/info/{epoch}` for every state of an epoch (composition layer)."""
from allocations import engine as allocations_engine
from allocations import selectors as allocation_selectors
from deposits import selectors as deposit_selectors
from epochs import engine as epochs_engine
from epochs.rules import epoch_rules
from octant.chain.backends import get_chain

from . import selectors
from .models import FinalizedEpochSnapshot, PendingEpochSnapshot
from .selectors import EpochState
from .snapshots import finalization_compute

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
        return _info(epoch, selectors.octant_rewards_of(snapshot, patrons_rewards=live.patrons_rewards),
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
    return _info(epoch, selectors.octant_rewards_of(snapshot, patrons_rewards=finalized.patrons_rewards),
                 totalWithdrawals=finalized.total_withdrawals, patronsRewards=finalized.patrons_rewards,
                 matchedRewards=finalized.matched_rewards, leftover=finalized.leftover, donatedToProjects=donated,
                 stakingMatchedReservedForV2=finalized.staking_matched_reserved_for_v2)
