"""Which calculation each epoch uses (docs/rewards.md §1). Pure: no Django import.

`EPOCH_VARIANTS` is the single table. Each entry applies from its epoch number up to the next entry, so
epochs 4-10 share the defaults and 11 onwards reserves the staking part of matched rewards (§3.7.3).
Epoch numbers below the first entry (0, negatives) also get the defaults, as in the reference.
"""
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import Enum


class Rewards(str, Enum):
    """Total rewards (TR) and vanilla individual rewards (VIR), §3.4."""

    ALL_PROCEEDS_WITH_OP_COST = "all_proceeds_with_op_cost"  # TR = P - opcost; VIR = sqrt(LR) * TR
    PRELIMINARY = "preliminary"  # TR = P * sqrt(LR); VIR = P * LR
    PERCENT = "percent"  # TR = 0.7 P; VIR = P * LR; IRE = 0.35 P
    DOUBLE = "double"  # tested in the reference, used by no epoch


class MatchedRewards(str, Enum):
    """Matched rewards (MR), §3.7."""

    PRELIMINARY = "preliminary"  # TR - VIR + patrons
    PERCENTAGE = "percentage"  # 35 % of P (sliding above LR 0.35) + patrons
    PATRONS_ONLY = "patrons_only"  # patrons; the staking part is reserved (epoch >= 11)


class Leftover(str, Enum):
    """Leftover, §3.10."""

    PRELIMINARY = "preliminary"  # P - opcost - TW
    WITH_PPF = "with_ppf"  # P - opcost - CF - ppf/2 - TW
    WITH_PPF_AND_UNUSED_MR = "with_ppf_and_unused_mr"  # ... + (MR - MR used)


class Budget(str, Enum):
    """User budget, §4."""

    PRELIMINARY = "preliminary"  # VIR * ED / TED
    WITH_PPF = "with_ppf"  # ED / TED * (VIR + ppf/2)


class TimeWeights(str, Enum):
    """Effective-deposit time weights, §2.2-2.3."""

    WITH_UNLOCKS = "with_unlocks"  # an unlocked amount counts until its unlock
    WITHOUT_UNLOCKS = "without_unlocks"  # a period counts only what stays locked to the end


class CutOff(str, Enum):
    """Effective-deposit cut-off, §2.5."""

    TEN_GLM = "10_glm"  # locked at end >= 100 GLM and ED >= 10 GLM
    HUNDRED_GLM = "100_glm"  # ED >= 100 GLM; tested in the reference, used by no epoch


class ProjectRewards(str, Enum):
    """Project rewards, §5."""

    PRELIMINARY = "preliminary"  # linear matching above a threshold
    QUADRATIC_FUNDING = "quadratic_funding"  # tested in the reference, used by no epoch
    CAPPED_QUADRATIC_FUNDING = "capped_quadratic_funding"  # UQ-weighted, each project capped at 20 % of MR


@dataclass(frozen=True)
class EpochVariant:
    operational_cost_percent: Decimal
    rewards: Rewards
    matched_rewards: MatchedRewards
    has_ppf: bool  # PPF = IRE - VIR while LR < 0.35; None when False
    community_fund_percent: Decimal | None  # None: no community fund
    leftover: Leftover
    budget: Budget
    time_weights: TimeWeights
    cut_off: CutOff
    project_rewards: ProjectRewards
    threshold_multiplier: int | None  # preliminary project rewards only
    funding_cap_percent: Decimal | None  # capped quadratic funding only
    exact: bool = False  # capped QF with integer square roots and exact sums (beyond the reference)

    @property
    def with_unlocks(self) -> bool:
        return self.time_weights is TimeWeights.WITH_UNLOCKS


DEFAULT = EpochVariant(
    operational_cost_percent=Decimal("0.25"),
    rewards=Rewards.PERCENT,
    matched_rewards=MatchedRewards.PERCENTAGE,
    has_ppf=True,
    community_fund_percent=Decimal("0.05"),
    leftover=Leftover.WITH_PPF_AND_UNUSED_MR,
    budget=Budget.WITH_PPF,
    time_weights=TimeWeights.WITHOUT_UNLOCKS,
    cut_off=CutOff.TEN_GLM,
    project_rewards=ProjectRewards.CAPPED_QUADRATIC_FUNDING,
    threshold_multiplier=None,
    funding_cap_percent=Decimal("0.2"),
)

EPOCH_VARIANTS: dict[int, EpochVariant] = {
    1: replace(
        DEFAULT,
        operational_cost_percent=Decimal("0.20"),
        rewards=Rewards.ALL_PROCEEDS_WITH_OP_COST,
        matched_rewards=MatchedRewards.PRELIMINARY,
        has_ppf=False,
        community_fund_percent=None,
        leftover=Leftover.PRELIMINARY,
        budget=Budget.PRELIMINARY,
        time_weights=TimeWeights.WITH_UNLOCKS,
        project_rewards=ProjectRewards.PRELIMINARY,
        threshold_multiplier=2,
        funding_cap_percent=None,
    ),
    2: replace(
        DEFAULT,
        rewards=Rewards.PRELIMINARY,
        matched_rewards=MatchedRewards.PRELIMINARY,
        has_ppf=False,
        community_fund_percent=None,
        leftover=Leftover.PRELIMINARY,
        budget=Budget.PRELIMINARY,
        project_rewards=ProjectRewards.PRELIMINARY,
        threshold_multiplier=2,
        funding_cap_percent=None,
    ),
    3: replace(
        DEFAULT,
        leftover=Leftover.WITH_PPF,
        project_rewards=ProjectRewards.PRELIMINARY,
        threshold_multiplier=1,
        funding_cap_percent=None,
    ),
    4: DEFAULT,  # epochs 4-10
    11: replace(DEFAULT, matched_rewards=MatchedRewards.PATRONS_ONLY),  # FIRST_EPOCH_RESERVING_STAKING_FOR_V2
}

FIRST_EPOCH_RESERVING_STAKING = 11

# The rule sets a deployment can follow. MAINNET_HISTORY (the default of every engine call) reproduces
# Octant mainnet's past epochs; CURRENT_RULES apply today's rules to every epoch, as the reference's v2 app
# does (on testnets and fresh chains).
RuleSet = dict[int, EpochVariant]
MAINNET_HISTORY: RuleSet = EPOCH_VARIANTS
CURRENT_RULES: RuleSet = {1: DEFAULT, FIRST_EPOCH_RESERVING_STAKING: EPOCH_VARIANTS[FIRST_EPOCH_RESERVING_STAKING]}


def rule_set(*, history: bool = True, exact_from: int | None = None) -> RuleSet:
    """A variant table: the mainnet history (or today's rules for every epoch), with exact capped QF from
    epoch `exact_from` on (None: never, the reference's float square roots everywhere)."""
    table = dict(MAINNET_HISTORY if history else CURRENT_RULES)
    if exact_from is not None:
        table[exact_from] = variant(exact_from, rules=table)
        table = {first: replace(entry, exact=True) if first >= exact_from else entry
                 for first, entry in sorted(table.items())}
    return table


def variant(epoch: int, *, rules: RuleSet = EPOCH_VARIANTS) -> EpochVariant:
    """The variant of `epoch` in `rules`: the entry with the greatest first epoch <= `epoch`, else the
    defaults."""
    firsts = [first for first in rules if first <= epoch]
    return rules[max(firsts)] if firsts else DEFAULT
