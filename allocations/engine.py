"""Project rewards: threshold, linear matching, (capped) quadratic funding, leverage, UQ (docs/rewards.md §5).
Pure: no Django import.

An allocation is a mapping with `donor`, `project`, `amount` (int wei) and `uq` (Decimal, None = 0.0 as
in v2). Projects are addresses. Every Decimal step runs in the 28-digit reference context (§0).

Summation order (docs/rewards.md §5.1): projects in order of first appearance among the allocations,
allocations in the order given. Reward lists are sorted by `allocated` descending; ties keep the order
of the `projects` list (projects that received allocations without being listed come after it).
"""
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter

from octant.core.numeric import ZERO, reference_context
from rewards.variants import MAINNET_HISTORY, RuleSet, variant
from rewards.variants import ProjectRewards as Strategy

FUNDING_CAP_PERCENT = Decimal("0.2")  # MR_FUNDING_CAP_PERCENT


@dataclass(frozen=True, slots=True)
class ProjectReward:
    address: str
    allocated: int
    matched: int  # truncated
    matched_exact: Decimal = ZERO  # the un-truncated (capped) value


@dataclass(frozen=True)
class ProjectRewardsResult:
    rewards: list[ProjectReward]
    rewards_sum: int
    total_allocated: int | Decimal  # a Decimal (Σ qf) only for the unused plain-QF variant
    threshold: int | None
    leverage: float | Decimal  # a Decimal only for the plain-QF variant
    used_matched_rewards: int = 0  # trunc(Σ un-truncated matched): v2's MR_used (§3.10)


# --- helpers -------------------------------------------------------------------------------------------


def _allocated_by_project(allocations: Iterable[Mapping]) -> dict[str, int]:
    allocated: dict[str, int] = {}
    for allocation in allocations:
        allocated[allocation["project"]] = allocated.get(allocation["project"], 0) + allocation["amount"]
    return allocated


def _ordered(projects: Sequence[str], rewards: dict[str, ProjectReward]) -> list[ProjectReward]:
    """Every listed project (0/0 if absent), then unlisted ones; by allocated desc, stable."""
    listed = [rewards.get(p) or ProjectReward(p, 0, 0) for p in projects]
    known = set(projects)
    extra = [r for address, r in rewards.items() if address not in known]
    return sorted(listed + extra, key=lambda r: r.allocated, reverse=True)


def epoch_leverage(matched_rewards: int, total_allocated: int) -> float:
    """§5.6: fl(MR / Σ allocations), 0 without allocations."""
    return matched_rewards / total_allocated if total_allocated else 0


# --- §5.2 preliminary (epochs 1-3) ---------------------------------------------------------------------


def allocation_threshold(total_allocated: int, projects_count: int, multiplier: int) -> int:
    """§5.2: trunc(fl(T / (n · m))), 0 when there are no projects."""
    if projects_count == 0:
        return 0
    return int(total_allocated / (projects_count * multiplier))


def epoch_threshold(
    epoch: int, *, total_allocated: int, projects_count: int, rules: RuleSet = MAINNET_HISTORY
) -> int | None:
    """The allocation threshold of `epoch` (epochs 1-3), None for epochs without one."""
    multiplier = variant(epoch, rules=rules).threshold_multiplier
    if multiplier is None:
        return None
    return allocation_threshold(total_allocated, projects_count, multiplier)


def below_threshold_sum(epoch: int, *, allocations: Iterable[Mapping], rules: RuleSet = MAINNET_HISTORY) -> int:
    """§3.11: Σ allocated of projects strictly below the threshold, the threshold being computed over the
    number of projects that received allocations. 0 for epochs without a threshold."""
    allocated = _allocated_by_project(allocations)
    threshold = epoch_threshold(
        epoch, total_allocated=sum(allocated.values()), projects_count=len(allocated), rules=rules
    )
    if threshold is None:
        return 0
    return sum(amount for amount in allocated.values() if amount < threshold)


def preliminary_project_rewards(
    *, allocations: Iterable[Mapping], projects: Sequence[str], matched_rewards: int, threshold_multiplier: int
) -> ProjectRewardsResult:
    """§5.2: MR split in proportion to allocated among projects strictly above the threshold."""
    allocated = _allocated_by_project(allocations)
    total = sum(allocated.values())
    threshold = allocation_threshold(total, len(projects), threshold_multiplier)
    above = {p: a for p, a in allocated.items() if a > threshold}
    above_total = sum(above.values())
    rewards = {}
    rewards_sum = 0
    with reference_context():
        for project, amount in allocated.items():
            exact = ZERO
            if project in above:
                exact = Decimal(amount) / Decimal(above_total) * matched_rewards
                rewards_sum += amount + int(exact)
            rewards[project] = ProjectReward(project, amount, int(exact), exact)
    return ProjectRewardsResult(
        rewards=_ordered(projects, rewards),
        rewards_sum=rewards_sum,
        total_allocated=total,
        threshold=threshold,
        leverage=epoch_leverage(matched_rewards, total),
        used_matched_rewards=sum(r.matched for r in rewards.values()),
    )


# --- §5.3/5.4 quadratic funding ------------------------------------------------------------------------


@dataclass(slots=True)
class ProjectAggregate:
    """What capped QF needs of one project's allocations: Σ amounts and S = 0 ⊕ r₁ ⊕ r₂ ⊕ ... (§5.4).

    Keeping these per project lets a live estimate cost O(projects): add each new allocation with
    `add_allocation`. Equal to the full computation only when S is accumulated in the same order, from
    the same allocations: Decimal sums are rounded at each step, so removing an allocation by subtraction,
    reordering, or summing elsewhere (e.g. in SQL) can move the last digit of S and, rarely, a matched
    value by one wei. Rebuild the aggregates of the touched projects when allocations are replaced.
    """

    address: str
    allocated: int = 0
    sqrt_sum: Decimal = field(default_factory=lambda: ZERO)


def qf_contribution(amount: int, uq: Decimal | None) -> Decimal:
    """One allocation's term r = Decimal(fl_sqrt(float(uq ⊗ amount))) (§5.4): the square root is a double."""
    with reference_context():
        return Decimal(math.sqrt((uq if uq is not None else ZERO) * amount))


def add_allocation(aggregate: ProjectAggregate, amount: int, uq: Decimal | None) -> ProjectAggregate:
    """Add one allocation to `aggregate` in place (S ⊕ r) and return it."""
    contribution = qf_contribution(amount, uq)
    with reference_context():
        aggregate.sqrt_sum = aggregate.sqrt_sum + contribution
    aggregate.allocated += amount
    return aggregate


def apply_allocation_change(
    aggregates: Mapping[str, ProjectAggregate],
    *,
    removed: Iterable[tuple[str, int]] = (),
    added: Iterable[tuple[str, int]] = (),
    uq: Decimal | None,
) -> dict[str, ProjectAggregate]:
    """One donor's allocations replaced (§5.6) as a delta on the per-project aggregates: each `removed`
    (project, amount) subtracted (allocated - a, S ⊖ r), then each `added` one added (S ⊕ r), in the given
    order, every term r = qf_contribution(amount, uq) of the donor's frozen UQ. Returns new aggregates (a
    project first met starts at zero); `aggregates` is left as it was. The one rule behind both the
    allocation's write (allocations.services) and its simulation (allocations.selectors): a subtraction
    leaves S a rounding away from the full computation's, which the exact rebuild corrects."""
    result = dict(aggregates)
    with reference_context():
        for project, amount in removed:
            before = result.get(project) or ProjectAggregate(project)
            result[project] = ProjectAggregate(project, before.allocated - amount,
                                               before.sqrt_sum - qf_contribution(amount, uq))
        for project, amount in added:
            before = result.get(project) or ProjectAggregate(project)
            result[project] = ProjectAggregate(project, before.allocated + amount,
                                               before.sqrt_sum + qf_contribution(amount, uq))
    return result


def aggregate_allocations(allocations: Iterable[Mapping]) -> list[ProjectAggregate]:
    """Per-project aggregates, in order of first appearance. Same values as repeated `add_allocation`.

    Fast path: when uq ⊗ amount is exact in 28 digits (always for uq 1.0/0.01/0.0 and amounts below
    10²⁷ wei), float(uq ⊗ amount) equals the correctly rounded int division (amount · n) / 10^k, where
    uq = n · 10^-k; this skips two Decimal conversions per allocation without changing any bit.
    """
    aggregates: dict[str, ProjectAggregate] = {}
    scales: dict[Decimal, tuple[int, int]] = {}
    sqrt = math.sqrt
    exact_limit = 10**28
    with reference_context():
        for allocation in allocations:
            project = allocation["project"]
            amount = allocation["amount"]
            uq = allocation["uq"]
            if uq is None:
                uq = ZERO
            scale = scales.get(uq)
            if scale is None:
                scale = scales[uq] = _as_fraction(uq)
            numerator, denominator = scale
            product = amount * numerator
            if 0 <= product < exact_limit:
                root = Decimal(sqrt(product / denominator))
            else:
                root = Decimal(sqrt(uq * amount))
            aggregate = aggregates.get(project)
            if aggregate is None:
                aggregate = aggregates[project] = ProjectAggregate(project)
            aggregate.sqrt_sum = aggregate.sqrt_sum + root
            aggregate.allocated += amount
    return list(aggregates.values())


def _as_fraction(value: Decimal) -> tuple[int, int]:
    """`value` as (n, d) with value = n / d and d a power of ten; (-1, 1) for non-finite or negative
    values, so that the fast path is skipped."""
    if not value.is_finite() or value < 0:
        return -1, 1
    _, digits, exponent = value.as_tuple()
    numerator = int("".join(map(str, digits)) or "0")
    if exponent >= 0:
        return numerator * 10**exponent, 1
    return numerator, 10**-exponent


def apply_funding_cap(
    matched: Mapping[str, Decimal], *, matched_rewards: int, funding_cap_percent: Decimal = FUNDING_CAP_PERCENT
) -> dict[str, Decimal]:
    """§5.4 funding cap: each value above MR ⊗ 0.2 becomes that cap; the excess is not redistributed."""
    with reference_context():
        cap = matched_rewards * funding_cap_percent
        return {project: cap if value > cap else value for project, value in matched.items()}


def project_rewards_from_aggregates(
    *,
    aggregates: Sequence[ProjectAggregate],
    projects: Sequence[str],
    matched_rewards: int,
    funding_cap_percent: Decimal = FUNDING_CAP_PERCENT,
) -> ProjectRewardsResult:
    """Capped QF (§5.4) from per-project aggregates, in O(projects).

    qf_p = S_p ** 2 (Decimal power, as the reference; for some S it differs from S ⊗ S in the last
    digit); ΣQF = 0 ⊕ qf_p ⊕ ... in aggregate order; matched_p = (qf_p ⊘ ΣQF) ⊗ MR, capped at
    MR ⊗ 0.2; the excess is not redistributed. rewards_sum = trunc(Σ allocated ⊕ Σ capped) and
    used_matched_rewards = trunc(Σ capped), both as v2 computes them (Flask truncates per project for
    MR_used: the Σ of `matched`).
    """
    with reference_context():
        qf = [aggregate.sqrt_sum**2 for aggregate in aggregates]
        total_qf = ZERO
        for value in qf:
            total_qf += value
        matched = {
            aggregate.address: value / total_qf * matched_rewards if total_qf != 0 else ZERO
            for aggregate, value in zip(aggregates, qf)
        }
        capped = apply_funding_cap(matched, matched_rewards=matched_rewards, funding_cap_percent=funding_cap_percent)
        matched_total = ZERO
        rewards = {}
        for aggregate in aggregates:
            value = capped[aggregate.address]
            matched_total += value
            rewards[aggregate.address] = ProjectReward(aggregate.address, aggregate.allocated, int(value), value)
        total_allocated = sum(aggregate.allocated for aggregate in aggregates)
        rewards_sum = int(Decimal(total_allocated) + matched_total)
    return ProjectRewardsResult(
        rewards=_ordered(projects, rewards),
        rewards_sum=rewards_sum,
        total_allocated=total_allocated,
        threshold=None,
        leverage=epoch_leverage(matched_rewards, total_allocated),
        used_matched_rewards=int(matched_total),
    )


def capped_qf_project_rewards(
    *,
    allocations: Iterable[Mapping],
    projects: Sequence[str],
    matched_rewards: int,
    funding_cap_percent: Decimal = FUNDING_CAP_PERCENT,
) -> ProjectRewardsResult:
    """Capped, UQ-weighted quadratic funding (§5.4): `aggregate_allocations` then the aggregate formula."""
    return project_rewards_from_aggregates(
        aggregates=aggregate_allocations(allocations),
        projects=projects,
        matched_rewards=matched_rewards,
        funding_cap_percent=funding_cap_percent,
    )


# --- exact capped quadratic funding (beyond the reference) -------------------------------------------

def exact_sqrt_sums(allocations: Iterable[Mapping], *, matched_rewards: int) -> list[tuple[str, int, int, int]]:
    """(project, Σ allocated, R_p, s) per project, in order of first appearance: R_p = Σ ⌊√(uq · amount) · 10^s⌋
    over its allocations, so S_p ≈ R_p / 10^s.

    Each floored root is off by < 10^-s, so S_p is off by less than its count times 10^-s, and its
    relative error is below ε = 10^-s / r, r being the smallest non-zero root (zero roots are exact). A
    matched value MR · S_p² / Σ S² then moves by at most 4 · ε · MR; s is chosen so that this stays below
    10^-9 wei. ⌊√⌊x⌋⌋ = ⌊√x⌋, so flooring uq · amount · 10^2s first changes nothing.
    """
    allocations = allocations if isinstance(allocations, Sequence) else list(allocations)
    fractions = {}
    for uq in set(map(itemgetter("uq"), allocations)):
        fractions[uq] = _as_fraction(ZERO if uq is None else uq)
        if fractions[uq][0] < 0:
            raise ValueError(f"uq must be a finite non-negative number, got {uq!r}")
    # r² >= (smallest non-zero amount) · (smallest non-zero uq) >= 10^e
    amount = min(filter(None, map(itemgetter("amount"), allocations)), default=1)
    uq_low = min((uq for uq, (numerator, _) in fractions.items() if numerator), default=None)
    numerator, denominator = fractions[uq_low] if uq_low is not None else (1, 1)
    exponent = len(str(amount * numerator)) - len(str(denominator))  # the denominator is a power of ten
    digits = max(len(str(matched_rewards)) + 10 - exponent // 2, 0)
    scale = 10 ** (2 * digits)
    factors = {uq: (n * scale // d, 1) if scale % d == 0 else (n * scale, d) for uq, (n, d) in fractions.items()}
    sums: dict[str, list[int]] = {}
    isqrt = math.isqrt
    for allocation in allocations:
        multiplier, divisor = factors[allocation["uq"]]
        amount = allocation["amount"]
        project = allocation["project"]
        entry = sums.get(project)
        if entry is None:
            entry = sums[project] = [0, 0]
        entry[0] += amount
        if divisor == 1:
            entry[1] += isqrt(amount * multiplier)
        else:
            entry[1] += isqrt(amount * multiplier // divisor)
    return [(project, allocated, root_sum, digits) for project, (allocated, root_sum) in sums.items()]


def exact_capped_qf_project_rewards(
    *,
    allocations: Iterable[Mapping],
    projects: Sequence[str],
    matched_rewards: int,
    funding_cap_percent: Decimal = FUNDING_CAP_PERCENT,
) -> ProjectRewardsResult:
    """Capped QF (§5.4) without the reference's float square roots and 28-digit sums.

    qf_p = S_p² with S_p from `exact_sqrt_sums` (the scale 10^s cancels in the ratio);
    matched_p = ⌊min(MR · qf_p / ΣQF, MR · cap%)⌋ in exact integer arithmetic, so it is within 1 wei of the
    real capped-QF value. used_matched_rewards = Σ matched_p and rewards_sum = Σ (allocated_p + matched_p):
    total withdrawals equal the sum of the merkle leaves. `matched_exact` holds the floored value too.
    """
    sums = exact_sqrt_sums(allocations, matched_rewards=matched_rewards)
    qf = [root_sum * root_sum for _, _, root_sum, _ in sums]
    total_qf = sum(qf)
    cap_numerator, cap_denominator = _as_fraction(funding_cap_percent)
    cap = matched_rewards * cap_numerator // cap_denominator
    rewards = {}
    for (project, allocated, _, _), value in zip(sums, qf):
        matched = min(matched_rewards * value // total_qf, cap) if total_qf else 0
        rewards[project] = ProjectReward(project, allocated, matched, Decimal(matched))
    total_allocated = sum(allocated for _, allocated, _, _ in sums)
    used = sum(reward.matched for reward in rewards.values())
    return ProjectRewardsResult(
        rewards=_ordered(projects, rewards),
        rewards_sum=total_allocated + used,
        total_allocated=total_allocated,
        threshold=None,
        leverage=epoch_leverage(matched_rewards, total_allocated),
        used_matched_rewards=used,
    )


def quadratic_funding_project_rewards(
    *, allocations: Iterable[Mapping], projects: Sequence[str], matched_rewards: int
) -> ProjectRewardsResult:
    """Plain QF, used by no epoch (§5.3): "allocated" reports trunc(qf_p); leverage is MR ⊘ ΣQF."""
    aggregates = aggregate_allocations(allocations)
    with reference_context():
        qf = [aggregate.sqrt_sum**2 for aggregate in aggregates]
        total_qf = ZERO
        for value in qf:
            total_qf += value
        rewards = {}
        rewards_sum = ZERO
        for aggregate, value in zip(aggregates, qf):
            matched = value / total_qf * matched_rewards if total_qf != 0 else ZERO
            rewards_sum += value + matched
            rewards[aggregate.address] = ProjectReward(aggregate.address, int(value), int(matched), matched)
        leverage = matched_rewards / total_qf if total_qf != 0 else 0
        return ProjectRewardsResult(
            rewards=_ordered(projects, rewards),
            rewards_sum=int(rewards_sum),
            total_allocated=total_qf,
            threshold=None,
            leverage=leverage,
            used_matched_rewards=sum(r.matched for r in rewards.values()),
        )


def project_rewards(
    epoch: int,
    *,
    allocations: Iterable[Mapping],
    projects: Sequence[str],
    matched_rewards: int,
    rules: RuleSet = MAINNET_HISTORY,
) -> ProjectRewardsResult:
    """Project rewards of `epoch` with its variant in `rules` (§5.2 for epochs 1-3, capped QF §5.4 from
    epoch 4; exact capped QF where the rules say so)."""
    settings = variant(epoch, rules=rules)
    if settings.exact and settings.project_rewards is Strategy.CAPPED_QUADRATIC_FUNDING:
        return exact_capped_qf_project_rewards(
            allocations=allocations,
            projects=projects,
            matched_rewards=matched_rewards,
            funding_cap_percent=settings.funding_cap_percent,
        )
    if settings.project_rewards is Strategy.PRELIMINARY:
        return preliminary_project_rewards(
            allocations=allocations,
            projects=projects,
            matched_rewards=matched_rewards,
            threshold_multiplier=settings.threshold_multiplier,
        )
    if settings.project_rewards is Strategy.QUADRATIC_FUNDING:
        return quadratic_funding_project_rewards(
            allocations=allocations, projects=projects, matched_rewards=matched_rewards
        )
    return capped_qf_project_rewards(
        allocations=allocations,
        projects=projects,
        matched_rewards=matched_rewards,
        funding_cap_percent=settings.funding_cap_percent,
    )


# --- §5.6 individual leverage and simulation -----------------------------------------------------------


def individual_leverage(
    *,
    before: Mapping[str, int | Decimal],
    after: Mapping[str, int | Decimal],
    new_projects: Iterable[str],
    new_amount: int,
) -> float:
    """§5.6: float((0 ⊕ Σ_{p in new projects} |before_p - after_p|) ⊘ Σ new amounts); 0.0 for no amount.

    `before`/`after` map projects to their matched rewards without / with the user's new allocations;
    missing projects count 0. v2 passes truncated ints, Flask the un-truncated Decimals.
    """
    if new_amount == 0:
        return 0.0
    with reference_context():
        difference = ZERO
        for project in new_projects:
            difference += abs(Decimal(before.get(project, 0)) - Decimal(after.get(project, 0)))
        return float(difference / new_amount)


def _capped_matched_of(
    aggregates: Iterable[ProjectAggregate], wanted: set[str], squares: dict, *, matched_rewards: int,
    funding_cap_percent: Decimal,
) -> dict[str, int]:
    """The truncated capped matched rewards of the `wanted` projects among `aggregates`, each the very value
    `project_rewards_from_aggregates` gives it: ΣQF summed over every aggregate in the given order, then
    (qf_p ⊘ ΣQF) ⊗ MR capped at MR ⊗ cap%, only for the wanted ones. `squares` memoizes S² per aggregate
    object (an aggregate the change left alone is the same object before and after it)."""
    total_qf = ZERO
    wanted_qf = {}
    for aggregate in aggregates:
        value = squares.get(id(aggregate))
        if value is None:
            value = squares[id(aggregate)] = (aggregate, aggregate.sqrt_sum**2)
        value = value[1]
        total_qf += value
        if aggregate.address in wanted:
            wanted_qf[aggregate.address] = value
    cap = matched_rewards * funding_cap_percent
    result = {}
    for project, value in wanted_qf.items():
        matched = value / total_qf * matched_rewards if total_qf != 0 else ZERO
        result[project] = int(cap if matched > cap else matched)
    return result


def leverage_from_aggregates(
    aggregates: Mapping[str, ProjectAggregate],
    *,
    removed: Sequence[tuple[str, int]],
    added: Sequence[tuple[str, int]],
    uq: Decimal | None,
    matched_rewards: int,
    funding_cap_percent: Decimal = FUNDING_CAP_PERCENT,
) -> float:
    """The individual leverage of one donor's change under capped QF (§5.6), from the per-project
    aggregates in first-allocation order: the donor's `removed` allocations taken out, then the `added` ones
    put in (apply_allocation_change), the matched rewards of the added projects compared before and after.
    Equal to comparing two full `project_rewards_from_aggregates` results, at the cost of one S² per
    project and two divisions per added project."""
    new_amount = sum(amount for _, amount in added)
    if new_amount == 0:
        return 0.0
    before = apply_allocation_change(aggregates, removed=removed, uq=uq)
    after = apply_allocation_change(before, added=added, uq=uq)
    projects = [project for project, _ in added]
    wanted, squares = set(projects), {}
    with reference_context():
        matched_before = _capped_matched_of(before.values(), wanted, squares, matched_rewards=matched_rewards,
                                            funding_cap_percent=funding_cap_percent)
        matched_after = _capped_matched_of(after.values(), wanted, squares, matched_rewards=matched_rewards,
                                           funding_cap_percent=funding_cap_percent)
    return individual_leverage(before=matched_before, after=matched_after, new_projects=projects,
                               new_amount=new_amount)


@dataclass(frozen=True)
class AllocationSimulation:
    leverage: float
    threshold: int | None
    rewards: list[ProjectReward]  # sorted by address (plain string order)


def simulate_allocation(
    epoch: int,
    *,
    allocations: Sequence[Mapping],
    new_allocations: Sequence[Mapping],
    projects: Sequence[str],
    matched_rewards: int,
    rules: RuleSet = MAINNET_HISTORY,
) -> AllocationSimulation:
    """What the user's new allocations would do (§5.6): the user's current allocations are replaced.

    `new_allocations` all have the same `donor`. Epochs 1-3: the global leverage fl(MR / T_after) and the
    threshold; later epochs: the individual leverage over truncated capped matched values (v2).
    """
    donors = {a["donor"] for a in new_allocations}
    if len(donors) != 1:
        raise ValueError("new allocations must come from exactly one donor")
    others = [a for a in allocations if a["donor"] not in donors]
    combined = others + list(new_allocations)
    after = project_rewards(
        epoch, allocations=combined, projects=projects, matched_rewards=matched_rewards, rules=rules
    )
    rewards = sorted(after.rewards, key=lambda r: r.address)
    if variant(epoch, rules=rules).project_rewards is Strategy.PRELIMINARY:
        return AllocationSimulation(after.leverage, after.threshold, rewards)
    before = project_rewards(
        epoch, allocations=others, projects=projects, matched_rewards=matched_rewards, rules=rules
    )
    leverage = individual_leverage(
        before={r.address: r.matched for r in before.rewards},
        after={r.address: r.matched for r in after.rewards},
        new_projects=[a["project"] for a in new_allocations],
        new_amount=sum(a["amount"] for a in new_allocations),
    )
    return AllocationSimulation(leverage, after.threshold, rewards)
