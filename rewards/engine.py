"""Octant rewards per epoch and the user budgets (docs/rewards.md §3, §4.1-4.2). Pure: no Django import.

Amounts are int wei, the locked ratio is a Decimal. Every Decimal step runs in the 28-digit reference
context (docs/rewards.md §0); the few float steps of the reference are kept and marked `fl`.
`octant_rewards`, `leftover` and `user_budget` pick the epoch's formulas from `rewards.variants`.
The budget estimates (§4.3-4.6) simulate deposits: they are `deposits.estimates`, above this module.
"""
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from octant.chain.proceeds_engine import (  # §3.1.1, one definition for the chain backend and the engine
    eth_float_to_wei as eth_float_to_wei,
    mainnet_staking_proceeds as mainnet_staking_proceeds,
    mev_proceeds as mev_proceeds,
    withdrawals_proceeds as withdrawals_proceeds,
)
from octant.core.numeric import reference_context
from rewards.variants import (
    MAINNET_HISTORY,
    Budget,
    Leftover,
    MatchedRewards,
    Rewards,
    RuleSet,
    variant,
)

GLM_TOTAL_SUPPLY = 10**27  # §3.2
TOTAL_REWARDS_PERCENT = Decimal("0.7")
IRE_PERCENT = Decimal("0.35")  # individual rewards equilibrium
MATCHED_REWARDS_PERCENT = Decimal("0.35")
HALF = Decimal("0.5")

ESTIMATED_STAKING_APR = 0.038  # §3.1.3, also the "rewards rate" of every epoch
ESTIMATED_STAKED_ETH = 100_000 * 10**18
SECONDS_PER_YEAR = 31_536_000


class InvalidMatchedRewardsStrategy(ValueError):
    """The percentage matched rewards are undefined for a locked ratio above 70 % (§3.7.2)."""


# --- §3.1 staking proceeds -----------------------------------------------------------------------------


def estimated_staking_proceeds(duration: int) -> int:
    """§3.1.3: trunc(fl(fl(A / 31 536 000) × d)) with A = trunc(fl(100 000 ETH × 0.038)); 0 if d <= 0."""
    if duration <= 0:
        return 0
    yearly = int(ESTIMATED_STAKED_ETH * ESTIMATED_STAKING_APR)  # 3799999999999999475712, a float artefact
    return int(yearly / SECONDS_PER_YEAR * duration)


# --- §3.2-3.7 octant rewards ---------------------------------------------------------------------------


def locked_ratio(total_effective_deposit: int) -> Decimal:
    """§3.2: LR = Decimal(TED) ⊘ Decimal(10²⁷). Zero is Decimal('0E-27'); serialise with care."""
    with reference_context():
        return Decimal(total_effective_deposit) / Decimal(GLM_TOTAL_SUPPLY)


def operational_cost(staking_proceeds: int, *, percent: Decimal) -> int:
    """§3.3: trunc(P ⊗ c)."""
    with reference_context():
        return int(staking_proceeds * percent)


def rewards_all_proceeds_with_op_cost(
    staking_proceeds: int, locked_ratio: Decimal, operational_cost: int
) -> tuple[int, int]:
    """§3.4 epoch 1: TR = P - opcost; VIR = trunc(√₂₈(LR) ⊗ TR)."""
    total = staking_proceeds - operational_cost
    with reference_context():
        return total, int(locked_ratio.sqrt() * total)


def rewards_preliminary(staking_proceeds: int, locked_ratio: Decimal) -> tuple[int, int]:
    """§3.4 epoch 2: TR = trunc(P ⊗ √₂₈(LR)); VIR = trunc(P ⊗ LR)."""
    with reference_context():
        return int(staking_proceeds * locked_ratio.sqrt()), int(staking_proceeds * locked_ratio)


def rewards_percent(staking_proceeds: int, locked_ratio: Decimal) -> tuple[int, int]:
    """§3.4 epochs >= 3: TR = trunc(0.7 ⊗ P); VIR = trunc(P ⊗ LR)."""
    with reference_context():
        return int(TOTAL_REWARDS_PERCENT * staking_proceeds), int(staking_proceeds * locked_ratio)


def rewards_double(staking_proceeds: int, locked_ratio: Decimal) -> tuple[int, int]:
    """§3.4 unused "Double" variant: doubled preliminary rewards while LR < 0.25, else (P, trunc(P ⊗ 0.5))."""
    with reference_context():
        if locked_ratio < Decimal("0.25"):
            return 2 * int(staking_proceeds * locked_ratio.sqrt()), 2 * int(staking_proceeds * locked_ratio)
        return staking_proceeds, int(staking_proceeds * HALF)


def individual_rewards_equilibrium(staking_proceeds: int) -> int:
    """§3.4: IRE = trunc(0.35 ⊗ P)."""
    with reference_context():
        return int(IRE_PERCENT * staking_proceeds)


def ppf(staking_proceeds: int, locked_ratio: Decimal, vanilla_individual_rewards: int) -> int:
    """§3.5: IRE - VIR while LR < 0.35, else 0."""
    if locked_ratio < IRE_PERCENT:
        return individual_rewards_equilibrium(staking_proceeds) - vanilla_individual_rewards
    return 0


def community_fund(staking_proceeds: int, *, percent: Decimal = Decimal("0.05")) -> int:
    """§3.6: trunc(0.05 ⊗ P)."""
    with reference_context():
        return int(percent * staking_proceeds)


def matched_rewards_preliminary(total_rewards: int, vanilla_individual_rewards: int, patrons_rewards: int) -> int:
    """§3.7.1 (epochs 1-2): TR - VIR + patrons."""
    return total_rewards - vanilla_individual_rewards + patrons_rewards


def matched_rewards_percentage(staking_proceeds: int, locked_ratio: Decimal, patrons_rewards: int) -> int:
    """§3.7.2 (epochs 3-10): trunc((0.35 ⊗ P) ⊕ patrons) while LR < 0.35, else trunc(((0.7 ⊖ LR) ⊗ P) ⊕ patrons).

    Raises InvalidMatchedRewardsStrategy when LR > 0.7; at exactly 0.7 only the patrons remain.
    """
    if locked_ratio > TOTAL_REWARDS_PERCENT:
        raise InvalidMatchedRewardsStrategy("Invalid Strategy - locked ratio greater than 0.7")
    if locked_ratio == TOTAL_REWARDS_PERCENT:
        return patrons_rewards
    with reference_context():
        return int(_staking_matched(staking_proceeds, locked_ratio) + patrons_rewards)


def staking_matched_reserved(staking_proceeds: int, locked_ratio: Decimal) -> int:
    """§3.7.3 (epochs >= 11): the staking part kept out of matching: 0.35 P, (0.7 - LR) P, or 0 from 0.7."""
    if locked_ratio >= TOTAL_REWARDS_PERCENT:
        return 0
    with reference_context():
        return int(_staking_matched(staking_proceeds, locked_ratio))


def _staking_matched(staking_proceeds: int, locked_ratio: Decimal) -> Decimal:
    # Must run inside the reference context.
    if locked_ratio < IRE_PERCENT:
        return MATCHED_REWARDS_PERCENT * staking_proceeds
    return (TOTAL_REWARDS_PERCENT - locked_ratio) * staking_proceeds


def matched_rewards(
    epoch: int,
    *,
    staking_proceeds: int,
    locked_ratio: Decimal,
    total_rewards: int,
    vanilla_individual_rewards: int,
    patrons_rewards: int,
    rules: RuleSet = MAINNET_HISTORY,
) -> int:
    """The matching pool MR of `epoch` (§3.7), with the epoch's variant in `rules`."""
    strategy = variant(epoch, rules=rules).matched_rewards
    if strategy is MatchedRewards.PRELIMINARY:
        return matched_rewards_preliminary(total_rewards, vanilla_individual_rewards, patrons_rewards)
    if strategy is MatchedRewards.PERCENTAGE:
        return matched_rewards_percentage(staking_proceeds, locked_ratio, patrons_rewards)
    return patrons_rewards


@dataclass(frozen=True)
class OctantRewards:
    """What a pending snapshot computes (§3.2-3.6), plus the matched rewards of §3.7."""

    epoch: int
    staking_proceeds: int
    total_effective_deposit: int
    locked_ratio: Decimal
    operational_cost: int
    total_rewards: int
    vanilla_individual_rewards: int
    individual_rewards_equilibrium: int | None  # None before epoch 3
    ppf: int | None  # None before epoch 3
    community_fund: int | None  # None before epoch 3
    patrons_rewards: int = 0
    rules: RuleSet = field(default_factory=lambda: MAINNET_HISTORY, repr=False, compare=False)

    @property
    def matched_rewards(self) -> int:
        """MR (§3.7). Computed on access: it raises InvalidMatchedRewardsStrategy for LR > 0.7 in epochs 3-10,
        which must not stop a pending snapshot (the reference computes MR only when finalizing)."""
        return matched_rewards(
            self.epoch,
            staking_proceeds=self.staking_proceeds,
            locked_ratio=self.locked_ratio,
            total_rewards=self.total_rewards,
            vanilla_individual_rewards=self.vanilla_individual_rewards,
            patrons_rewards=self.patrons_rewards,
            rules=self.rules,
        )

    @property
    def matched_rewards_or_patrons(self) -> int:
        """MR, or the patrons' rewards alone where the epoch's strategy is invalid (locked ratio above 0.7 in
        epochs 3-10): the one fallback of every finalization and live estimate."""
        try:
            return self.matched_rewards
        except InvalidMatchedRewardsStrategy:
            return self.patrons_rewards

    @property
    def staking_matched_reserved(self) -> int:
        """`staking_matched_reserved_for_v2` (§3.7.3): 0 unless the epoch's MR is patrons only (from 11)."""
        if variant(self.epoch, rules=self.rules).matched_rewards is not MatchedRewards.PATRONS_ONLY:
            return 0
        return staking_matched_reserved(self.staking_proceeds, self.locked_ratio)


def octant_rewards(
    epoch: int,
    *,
    staking_proceeds: int,
    total_effective_deposit: int,
    patrons_rewards: int = 0,
    rules: RuleSet = MAINNET_HISTORY,
) -> OctantRewards:
    """The epoch's locked ratio, operational cost, TR, VIR, PPF, community fund and MR (§3.2-3.7), with the
    epoch's variant in `rules` (default: the mainnet history)."""
    settings = variant(epoch, rules=rules)
    ratio = locked_ratio(total_effective_deposit)
    opcost = operational_cost(staking_proceeds, percent=settings.operational_cost_percent)
    if settings.rewards is Rewards.ALL_PROCEEDS_WITH_OP_COST:
        total, vanilla = rewards_all_proceeds_with_op_cost(staking_proceeds, ratio, opcost)
    elif settings.rewards is Rewards.PRELIMINARY:
        total, vanilla = rewards_preliminary(staking_proceeds, ratio)
    elif settings.rewards is Rewards.DOUBLE:
        total, vanilla = rewards_double(staking_proceeds, ratio)
    else:
        total, vanilla = rewards_percent(staking_proceeds, ratio)
    ire = individual_rewards_equilibrium(staking_proceeds) if settings.has_ppf else None
    return OctantRewards(
        epoch=epoch,
        staking_proceeds=staking_proceeds,
        total_effective_deposit=total_effective_deposit,
        locked_ratio=ratio,
        operational_cost=opcost,
        total_rewards=total,
        vanilla_individual_rewards=vanilla,
        individual_rewards_equilibrium=ire,
        ppf=ppf(staking_proceeds, ratio, vanilla) if settings.has_ppf else None,
        community_fund=(
            community_fund(staking_proceeds, percent=settings.community_fund_percent)
            if settings.community_fund_percent is not None
            else None
        ),
        patrons_rewards=patrons_rewards,
        rules=rules,
    )


# --- §3.8-3.11 patrons, withdrawals, leftover ----------------------------------------------------------


def patrons(toggles: Iterable[Mapping], *, at) -> list[str]:
    """§3.8: users whose latest patron-mode toggle with created_at <= `at` enabled it.

    Toggles are mappings with `user`, `enabled` and `created_at` (any comparable type: datetime or int);
    among equal times the later toggle in input order wins. Newest toggle first.
    """
    latest: dict[str, Mapping] = {}
    for toggle in toggles:
        if toggle["created_at"] <= at:
            current = latest.get(toggle["user"])
            if current is None or toggle["created_at"] >= current["created_at"]:
                latest[toggle["user"]] = toggle
    enabled = [t for t in latest.values() if t["enabled"]]
    enabled.sort(key=lambda t: t["created_at"], reverse=True)
    return [t["user"] for t in enabled]


def patrons_rewards(budgets: Mapping[str, int], patron_addresses: Iterable[str]) -> int:
    """§3.8: Σ of the patrons' budgets (a patron without a budget adds 0)."""
    return sum(budgets.get(address, 0) for address in patron_addresses)


def claimed_rewards(budgets: Mapping[str, int], allocated: Mapping[str, int]) -> list[tuple[str, int]]:
    """§3.9: (user, budget - Σ allocations) for users who allocated (even 0), kept when > 0.

    `allocated` maps each user with non-deleted allocations to their sum; the output keeps its order.
    """
    claims = ((user, budgets.get(user, 0) - amount) for user, amount in allocated.items())
    return [(user, claimed) for user, claimed in claims if claimed > 0]


def unused_rewards(
    budgets: Mapping[str, int], *, donors: Iterable[str], patron_addresses: Iterable[str]
) -> tuple[list[str], int]:
    """§4.7: budgets of users who neither allocated nor were patrons: (sorted addresses, Σ budgets)."""
    excluded = set(donors) | set(patron_addresses)
    unused = sorted(user for user in budgets if user not in excluded)
    return unused, sum(budgets[user] for user in unused)


def total_withdrawals(*, claimed_rewards_sum: int, project_rewards_sum: int) -> int:
    """§3.9: TW = Σ claimed user rewards + the project rewards sum."""
    return claimed_rewards_sum + project_rewards_sum


def half_ppf(ppf: int | None) -> int:
    """§3.10: h = trunc(fl(PPF / 2)), a float division (not ⌊PPF/2⌋); None counts as 0."""
    return int((ppf or 0) / 2)


def leftover(
    epoch: int,
    *,
    staking_proceeds: int,
    operational_cost: int,
    community_fund: int | None,
    ppf: int | None,
    total_withdrawals: int,
    matched_rewards: int,
    used_matched_rewards: int,
    rules: RuleSet = MAINNET_HISTORY,
) -> int:
    """§3.10 for the epoch's variant. Missing community fund / PPF count as 0.

    Epochs 1-2: P - opcost - TW. Epoch 3: also - CF - h. Epochs >= 4: also + (MR - MR_used), as the
    reference writes it (see docs/rewards.md §3.10 on the apparent double count).
    """
    strategy = variant(epoch, rules=rules).leftover
    value = staking_proceeds - operational_cost - total_withdrawals
    if strategy is Leftover.PRELIMINARY:
        return value
    value -= (community_fund or 0) + half_ppf(ppf)
    if strategy is Leftover.WITH_PPF:
        return value
    return value + matched_rewards - used_matched_rewards


def unused_matched_rewards(
    epoch: int,
    *,
    leftover: int,
    staking_proceeds: int,
    operational_cost: int,
    community_fund: int | None,
    ppf: int | None,
    total_withdrawals: int,
    rules: RuleSet = MAINNET_HISTORY,
) -> int:
    """§3.11: leftover - P + opcost + CF + h + TW for epochs >= 4 (the MR - MR_used term); else 0."""
    if variant(epoch, rules=rules).leftover is not Leftover.WITH_PPF_AND_UNUSED_MR:
        return 0
    return (
        leftover
        - staking_proceeds
        + operational_cost
        + (community_fund or 0)
        + half_ppf(ppf)
        + total_withdrawals
    )


def donated_to_projects(
    *, matched_rewards: int, unused_matched_rewards: int, allocations_sum: int, below_threshold_sum: int = 0
) -> int:
    """§3.11, finalized epochs: MR - unused MR + Σ allocations - Σ allocations below threshold."""
    return matched_rewards - unused_matched_rewards + allocations_sum - below_threshold_sum


# --- §4 user budgets -----------------------------------------------------------------------------------


def budget_preliminary(
    effective_deposit: int, total_effective_deposit: int | None, vanilla_individual_rewards: int
) -> int:
    """§4.1 (epochs 1-2): trunc(VIR ⊗ (Decimal(ED) ⊘ Decimal(TED))); 0 if TED is 0 or None."""
    if not total_effective_deposit:
        return 0
    with reference_context():
        return int(vanilla_individual_rewards * (Decimal(effective_deposit) / Decimal(total_effective_deposit)))


def budget_with_ppf(
    effective_deposit: int, total_effective_deposit: int | None, vanilla_individual_rewards: int, ppf: int | None
) -> int:
    """§4.2 (epochs >= 3): trunc(s ⊗ (VIR ⊕ 0.5 ⊗ PPF)) with s = ED ⊘ TED; 0 if TED is 0 or None."""
    if not total_effective_deposit:
        return 0
    with reference_context():
        share = Decimal(effective_deposit) / Decimal(total_effective_deposit)
        return int(share * (vanilla_individual_rewards + HALF * (ppf or 0)))


def user_budget(
    epoch: int,
    *,
    effective_deposit: int,
    total_effective_deposit: int | None,
    vanilla_individual_rewards: int,
    ppf: int | None,
    rules: RuleSet = MAINNET_HISTORY,
) -> int:
    """The user's budget (§4.1/§4.2) with the epoch's variant. TED is the snapshot's, not a local sum."""
    if variant(epoch, rules=rules).budget is Budget.PRELIMINARY:
        return budget_preliminary(effective_deposit, total_effective_deposit, vanilla_individual_rewards)
    return budget_with_ppf(effective_deposit, total_effective_deposit, vanilla_individual_rewards, ppf)


def user_budgets(
    epoch: int,
    *,
    deposits: Iterable[tuple[str, int]],
    total_effective_deposit: int | None,
    vanilla_individual_rewards: int,
    ppf: int | None,
    rules: RuleSet = MAINNET_HISTORY,
) -> list[tuple[str, int]]:
    """§3.12: (address, budget) for every (address, ED) pair, dropping zero budgets, in input order."""
    budgets = (
        (
            address,
            user_budget(
                epoch,
                effective_deposit=effective_deposit,
                total_effective_deposit=total_effective_deposit,
                vanilla_individual_rewards=vanilla_individual_rewards,
                ppf=ppf,
                rules=rules,
            ),
        )
        for address, effective_deposit in deposits
    )
    return [(address, budget) for address, budget in budgets if budget != 0]
