"""Budget estimates (docs/rewards.md §4.3-4.6): the upcoming budget, and what locking GLM for some days or epochs
would earn (composition layer: the leverage comes from the last finalized epoch's allocations)."""
from allocations.selectors import finalized_epoch_leverage
from deposits import estimates
from deposits import selectors as deposit_selectors
from epochs import selectors as epoch_selectors
from epochs.rules import epoch_rules
from octant.chain.backends import get_chain


def upcoming_budget(*, address: str, view: epoch_selectors.ChainView) -> int:
    """The budget `address` would get if the current epoch ended now (docs/rewards.md §4.3)."""

    details = epoch_selectors.epoch_details(epoch=view.current)
    by_user = deposit_selectors.epoch_events_by_user(epoch=view.current, start=details.start, end=view.now)
    return estimates.upcoming_budget(view.current, user=address, events_by_user=by_user, start=details.start,
                                     now=view.now, rules=epoch_rules())


def _future_budget_epoch(view):
    future = epoch_selectors.epoch_details(epoch=view.current + 1)
    return estimates.estimated_budget_epoch(
        future.number, start=future.start, duration=future.duration, remaining=future.duration,
        total_effective_deposit=get_chain().total_locked(), rules=epoch_rules())


def estimated_budget_by_days(*, days: int, glm_amount: int, view: epoch_selectors.ChainView) -> int:
    """Budget for locking `glm_amount` from now for `days` days (docs/rewards.md §4.4)."""

    details = epoch_selectors.epoch_details(epoch=view.current)
    current = estimates.estimated_budget_epoch(
        view.current, start=details.start, duration=details.duration, remaining=max(0, details.end - view.now),
        total_effective_deposit=deposit_selectors.effective_deposits(epoch=view.current, start=details.start, end=details.end).total,
        rules=epoch_rules())
    return estimates.estimate_budget_by_days(current=current, future=_future_budget_epoch(view), days=days,
                                             glm_amount=glm_amount)


def estimated_budget_by_epochs(*, epochs: int, glm_amount: int, view: epoch_selectors.ChainView) -> tuple[int, int]:
    """Budget for locking `glm_amount` for `epochs` whole future epochs, and the matched funding it would
    draw at the last finalized epoch's leverage (docs/rewards.md §4.5, §4.6)."""

    # before any epoch is finalized no matched funding has been paid: the estimate draws none (v2 fails there)
    leverage = finalized_epoch_leverage(epoch=view.finalized) if view.finalized else 0.0
    budget = estimates.estimate_budget_by_epochs(future=_future_budget_epoch(view), epochs=epochs,
                                                 glm_amount=glm_amount)
    return budget, estimates.estimated_matching_fund(budget, leverage)
