"""Budget estimates (docs/rewards.md §4.3-4.6): the budget a user's deposits so far, or a lock of G GLM for some
days or epochs, would earn. Pure: no Django import.

They simulate effective deposits with this app's `deposits.engine` and share out the rewards of
`rewards.engine`, which is why they live here and not with the rewards: `rewards` imports no app, so that
every app (epochs, the lowest, included) may import it.
"""
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rewards import engine as rewards_engine
from rewards.variants import MAINNET_HISTORY, RuleSet, variant

from .engine import LOCK, UNLOCK, cut_off_rule, effective_deposit, effective_deposits, locked_at_end


def upcoming_budget(
    epoch: int,
    *,
    user: str,
    events_by_user: Mapping[str, Sequence[Mapping]],
    start: int,
    now: int,
    rules: RuleSet = MAINNET_HISTORY,
) -> int:
    """§4.3: the user's budget as if the current epoch ended `now`, with estimated proceeds P_est(now - start).

    `events_by_user` are the epoch's events up to now (carry-in included, see `deposits.engine`); TED is
    their total after the cut-off. 0 if the user is absent.
    """
    settings = variant(epoch, rules=rules)
    deposits = effective_deposits(
        events_by_user, start, now, with_unlocks=settings.with_unlocks, cut_off=cut_off_rule(epoch, rules=rules)
    )
    own = next((d for d in deposits.deposits if d.address == user), None)
    if own is None:
        return 0
    rewards = rewards_engine.octant_rewards(
        epoch,
        staking_proceeds=rewards_engine.estimated_staking_proceeds(now - start),
        total_effective_deposit=deposits.total,
        rules=rules,
    )
    return rewards_engine.user_budget(
        epoch,
        effective_deposit=own.effective_deposit,
        total_effective_deposit=deposits.total,
        vanilla_individual_rewards=rewards.vanilla_individual_rewards,
        ppf=rewards.ppf,
        rules=rules,
    )


@dataclass(frozen=True)
class BudgetEpoch:
    """An epoch as the budget estimates of §4.4/§4.5 see it: its window, the time left in it from "now"
    (the whole duration for a future epoch) and the rewards its budgets share."""

    epoch: int
    start: int
    end: int
    remaining: int
    total_effective_deposit: int
    vanilla_individual_rewards: int
    ppf: int | None
    rules: RuleSet = field(default_factory=lambda: MAINNET_HISTORY, repr=False, compare=False)

    @property
    def duration(self) -> int:
        return self.end - self.start


def estimated_budget_epoch(
    epoch: int,
    *,
    start: int,
    duration: int,
    remaining: int,
    total_effective_deposit: int,
    rules: RuleSet = MAINNET_HISTORY,
) -> BudgetEpoch:
    """A `BudgetEpoch` whose rewards come from the estimated proceeds of the full duration (§4.4 R_cur/R_fut).

    For the current epoch TED is the epoch's TED from events; for a future one, the Deposits contract's
    GLM balance.
    """
    rewards = rewards_engine.octant_rewards(
        epoch,
        staking_proceeds=rewards_engine.estimated_staking_proceeds(duration),
        total_effective_deposit=total_effective_deposit,
        rules=rules,
    )
    return BudgetEpoch(
        epoch=epoch,
        start=start,
        end=start + duration,
        remaining=remaining,
        total_effective_deposit=total_effective_deposit,
        vanilla_individual_rewards=rewards.vanilla_individual_rewards,
        ppf=rewards.ppf,
        rules=rules,
    )


def simulated_budget(context: BudgetEpoch, *, lock_duration: int, glm_amount: int) -> int:
    """§4.4 B(epoch, rewards, lock duration, G): lock G at end - remaining, unlock it after `lock_duration`
    if that comes before the end, then the epoch's ED variant, 10-GLM rule and budget variant.
    A lock that ends before the epoch does contributes 0."""
    locked_at = context.end - context.remaining
    events = [{"type": LOCK, "timestamp": locked_at, "amount": glm_amount, "before": 0}]
    if lock_duration < context.remaining:
        events.append(
            {
                "type": UNLOCK,
                "timestamp": locked_at + lock_duration,
                "amount": glm_amount,
                "before": glm_amount,
            }
        )
    raw = effective_deposit(
        events, context.start, context.end, with_unlocks=variant(context.epoch, rules=context.rules).with_unlocks
    )
    effective = cut_off_rule(context.epoch, rules=context.rules)(locked_at_end(events), raw)
    return rewards_engine.user_budget(
        context.epoch,
        effective_deposit=effective,
        total_effective_deposit=context.total_effective_deposit,
        vanilla_individual_rewards=context.vanilla_individual_rewards,
        ppf=context.ppf,
        rules=context.rules,
    )


def estimate_budget_by_days(*, current: BudgetEpoch, future: BudgetEpoch, days: int, glm_amount: int) -> int:
    """§4.4: the current epoch's tail, then whole future epochs, then a partial one (which adds 0)."""
    lock_duration = days * 86_400
    budget = simulated_budget(current, lock_duration=lock_duration, glm_amount=glm_amount)
    remaining = lock_duration - current.remaining
    if remaining > 0:
        full_epochs, remaining = divmod(remaining, future.duration)
        budget += full_epochs * simulated_budget(future, lock_duration=future.duration, glm_amount=glm_amount)
    if remaining > 0:
        budget += simulated_budget(future, lock_duration=remaining, glm_amount=glm_amount)
    return budget


def estimate_budget_by_epochs(*, future: BudgetEpoch, epochs: int, glm_amount: int) -> int:
    """§4.5: `epochs` × the budget of a lock covering one whole future epoch."""
    return epochs * simulated_budget(future, lock_duration=future.duration, glm_amount=glm_amount)


def estimated_matching_fund(budget: int, leverage: float) -> int:
    """§4.6: trunc(fl(budget × leverage)), leverage being the last finalized epoch's (a float)."""
    return int(budget * leverage)
