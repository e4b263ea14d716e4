"""The per-epoch variant table (docs/rewards.md §1, vector §9.3.7)."""
from decimal import Decimal

import pytest

from rewards import variants
from rewards.variants import Budget, CutOff, Leftover, MatchedRewards, ProjectRewards, Rewards, TimeWeights

ROWS = {
    # epoch: (op. cost, rewards, MR, PPF, CF, leftover, budget, weights, project rewards, multiplier, cap)
    1: ("0.20", Rewards.ALL_PROCEEDS_WITH_OP_COST, MatchedRewards.PRELIMINARY, False, None, Leftover.PRELIMINARY,
        Budget.PRELIMINARY, TimeWeights.WITH_UNLOCKS, ProjectRewards.PRELIMINARY, 2, None),
    2: ("0.25", Rewards.PRELIMINARY, MatchedRewards.PRELIMINARY, False, None, Leftover.PRELIMINARY,
        Budget.PRELIMINARY, TimeWeights.WITHOUT_UNLOCKS, ProjectRewards.PRELIMINARY, 2, None),
    3: ("0.25", Rewards.PERCENT, MatchedRewards.PERCENTAGE, True, "0.05", Leftover.WITH_PPF,
        Budget.WITH_PPF, TimeWeights.WITHOUT_UNLOCKS, ProjectRewards.PRELIMINARY, 1, None),
    4: ("0.25", Rewards.PERCENT, MatchedRewards.PERCENTAGE, True, "0.05", Leftover.WITH_PPF_AND_UNUSED_MR,
        Budget.WITH_PPF, TimeWeights.WITHOUT_UNLOCKS, ProjectRewards.CAPPED_QUADRATIC_FUNDING, None, "0.2"),
    11: ("0.25", Rewards.PERCENT, MatchedRewards.PATRONS_ONLY, True, "0.05", Leftover.WITH_PPF_AND_UNUSED_MR,
         Budget.WITH_PPF, TimeWeights.WITHOUT_UNLOCKS, ProjectRewards.CAPPED_QUADRATIC_FUNDING, None, "0.2"),
}


def _row(variant):
    return (
        variant.operational_cost_percent, variant.rewards, variant.matched_rewards, variant.has_ppf,
        variant.community_fund_percent, variant.leftover, variant.budget, variant.time_weights,
        variant.project_rewards, variant.threshold_multiplier, variant.funding_cap_percent,
    )


def _expected(row):
    cost, rewards, matched, ppf, cf, leftover, budget, weights, projects, multiplier, cap = row
    return (Decimal(cost), rewards, matched, ppf, cf and Decimal(cf), leftover, budget, weights, projects, multiplier,
            cap and Decimal(cap))


@pytest.mark.parametrize(
    "epoch, row",
    [(1, 1), (2, 2), (3, 3), (4, 4), (5, 4), (6, 4), (7, 4), (10, 4), (11, 11), (12, 11), (40, 11), (0, 4), (-1, 4)],
)
def test_epoch_variant_table(epoch, row):
    variant = variants.variant(epoch)
    assert _row(variant) == _expected(ROWS[row])
    assert variant.cut_off is CutOff.TEN_GLM  # every epoch uses the 10 GLM rule
    assert variant.with_unlocks is (epoch == 1)


def test_default_is_the_epoch_4_variant():
    assert variants.variant(-1) is variants.DEFAULT is variants.variant(4)
    assert variants.FIRST_EPOCH_RESERVING_STAKING == 11
    assert variants.variant(variants.FIRST_EPOCH_RESERVING_STAKING).matched_rewards is MatchedRewards.PATRONS_ONLY
    assert variants.variant(variants.FIRST_EPOCH_RESERVING_STAKING - 1).matched_rewards is MatchedRewards.PERCENTAGE


def test_variants_are_immutable():
    with pytest.raises(AttributeError):
        variants.DEFAULT.threshold_multiplier = 3
