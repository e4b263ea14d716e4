"""Budget estimates (docs/rewards.md §4.3-4.6): vectors §9.5.5 and §9.6.1."""
from decimal import Decimal

import pytest

from allocations import engine as allocations_engine
from deposits import engine as deposits_engine
from deposits import estimates
from rewards import engine as rewards_engine
from tests.octant.core.math_constants import (
    ALICE,
    BOB,
    E18,
    MATCHED_REWARDS,
    PPF,
    TOTAL_ED,
    USER1_BUDGET,
    VANILLA_INDIVIDUAL_REWARDS,
)


def test_upcoming_budget_from_events():
    # §9.6.1 test_get_upcoming_budget (derived): epoch start 0, now 1000, alice locks 100 GLM at 100
    events = deposits_engine.user_epoch_events(
        [{"type": "lock", "timestamp": 100, "amount": 100 * E18, "before": 0}], 0, 1000, grace_period=900
    )
    budget = estimates.upcoming_budget(12, user=ALICE, events_by_user={ALICE: events}, start=0, now=1000)
    assert budget == 21087017091577875
    rewards = rewards_engine.octant_rewards(12, staking_proceeds=rewards_engine.estimated_staking_proceeds(1000), total_effective_deposit=90 * E18)
    assert (rewards.locked_ratio, rewards.vanilla_individual_rewards, rewards.individual_rewards_equilibrium, rewards.ppf) == (
        Decimal("9E-8"), 10844748858, 42174023338406892, 42174012493658034)
    assert estimates.upcoming_budget(12, user=BOB, events_by_user={ALICE: events}, start=0, now=1000) == 0
    assert estimates.upcoming_budget(12, user=ALICE, events_by_user={}, start=0, now=1000) == 0


# --- §9.5.5 / §9.6.1 budget estimates ---------------------------------------------------------------


def _context(epoch, start, duration, remaining):
    return estimates.BudgetEpoch(epoch=epoch, start=start, end=start + duration, remaining=remaining,
                                 total_effective_deposit=TOTAL_ED, vanilla_individual_rewards=VANILLA_INDIVIDUAL_REWARDS, ppf=PPF)


@pytest.mark.parametrize(
    "days, glm, budget_1_2, budget_2_3",
    [
        (0, 0, 0, 0),
        (15, 90, 0, 0),
        (15, 1000 * E18, 0, 0),
        (15, 300000 * E18, 0, 0),
        (70, 90 * E18, 0, 0),
        (70, 1000 * E18, 981783007246039, 981783007246039),
        (70, 300000 * E18, 294534902173811818, 294534902173811818),
        (150, 90 * E18, 0, 0),
        (150, 1000 * E18, 981783007246039, 981783007246039),
        (150, 300000 * E18, 294534902173811818, 294534902173811818),
        (252, 90 * E18, 0, 0),
        (252, 1000 * E18, 3017608251071425, 3407814342375217),
        (252, 300000 * E18, 905282475321428004, 1022344302712565368),
        (365250, 300000 * E18, 1239195987032113245119, 1476655903895035387993),
    ],
)
def test_estimate_budget_by_days(days, glm, budget_1_2, budget_2_3):
    for current_epoch, expected in [(1, budget_1_2), (2, budget_2_3)]:
        current = _context(current_epoch, 10000000, 6220800, 6000000)
        future = _context(current_epoch + 1, 16220800, 7776000, 7776000)
        assert estimates.estimate_budget_by_days(current=current, future=future, days=days, glm_amount=glm) == expected


@pytest.mark.parametrize("glm, expected", [(90, 0), (1000 * E18, 1017912621912693), (300000 * E18, 305373786573808093)])
def test_estimate_budget_by_epochs(glm, expected):
    future = _context(2, 16220800, 7776000, 7776000)
    assert estimates.estimate_budget_by_epochs(future=future, epochs=1, glm_amount=glm) == expected
    assert estimates.estimate_budget_by_epochs(future=future, epochs=3, glm_amount=glm) == 3 * expected


def test_estimated_budget_from_estimated_proceeds():
    # §9.6.1 test_estimated_budged (derived): future epoch of 90 days, 1000 GLM, Deposits balance 5000 GLM
    future = estimates.estimated_budget_epoch(12, start=1000, duration=7776000, remaining=7776000,
                                              total_effective_deposit=5000 * E18)
    assert (future.vanilla_individual_rewards, future.ppf) == (4684931506849314, 327940520547945147665)
    budget = estimates.estimate_budget_by_epochs(future=future, epochs=1, glm_amount=1000 * E18)
    assert budget == 32794989041095884629
    assert estimates.estimate_budget_by_epochs(future=future, epochs=2, glm_amount=1000 * E18) == 2 * budget
    assert estimates.estimate_budget_by_epochs(future=future, epochs=1, glm_amount=0) == 0
    leverage = allocations_engine.epoch_leverage(MATCHED_REWARDS, USER1_BUDGET)
    assert estimates.estimated_matching_fund(budget, leverage) == int(budget * leverage)
    assert estimates.estimated_matching_fund(budget, allocations_engine.epoch_leverage(MATCHED_REWARDS, 0)) == 0
