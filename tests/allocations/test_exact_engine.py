"""Exact capped QF (docs/rewards.md §5.8) and the rule sets that choose it: a property test over random
epochs against a 100-digit evaluation of the capped-QF formula."""
import random
from decimal import Decimal, localcontext

import pytest

from allocations import engine
from rewards import engine as rewards_engine
from rewards import variants
from rewards.variants import MatchedRewards, ProjectRewards

UQS = [Decimal("1.0"), Decimal("0.01"), Decimal("0.0"), Decimal("0.2")]
EXACT = variants.rule_set(exact_from=4)


def test_rule_sets():
    history, current = variants.rule_set(), variants.rule_set(history=False)
    assert history == variants.MAINNET_HISTORY
    assert not variants.variant(1, rules=history).has_ppf and variants.variant(1, rules=current).has_ppf
    for epoch in (1, 2, 3, 4, 10):
        assert variants.variant(epoch, rules=current) == variants.DEFAULT
    assert variants.variant(11, rules=current).matched_rewards is MatchedRewards.PATRONS_ONLY
    exact = variants.rule_set(exact_from=5)
    assert [variants.variant(e, rules=exact).exact for e in (1, 3, 4, 5, 10, 11, 50)] == [
        False, False, False, True, True, True, True]
    assert variants.variant(11, rules=exact).matched_rewards is MatchedRewards.PATRONS_ONLY
    assert variants.variant(5, rules=exact).project_rewards is ProjectRewards.CAPPED_QUADRATIC_FUNDING
    assert not any(v.exact for v in variants.rule_set(history=False).values())  # default: never exact


def test_current_rules_give_epoch_one_todays_figures():
    kwargs = dict(staking_proceeds=400 * 10**18, total_effective_deposit=10**26)
    history = rewards_engine.octant_rewards(1, **kwargs)
    current = rewards_engine.octant_rewards(1, **kwargs, rules=variants.CURRENT_RULES)
    assert history.ppf is None and history.community_fund is None
    assert current.ppf == rewards_engine.octant_rewards(4, **kwargs).ppf > 0
    assert current.community_fund == 20 * 10**18 and current.operational_cost == 100 * 10**18
    budget = dict(epoch=1, effective_deposit=10**24, total_effective_deposit=10**26)
    assert rewards_engine.user_budget(**budget, vanilla_individual_rewards=current.vanilla_individual_rewards,
                                      ppf=current.ppf, rules=variants.CURRENT_RULES) == 900 * 10**15
    assert rewards_engine.user_budget(**budget, vanilla_individual_rewards=history.vanilla_individual_rewards,
                                      ppf=history.ppf) == history.vanilla_individual_rewards // 100


def _exact_capped(allocations, matched_rewards):
    """(allocated, real matched) per project: 100-digit square roots and divisions, no shortcut."""
    with localcontext() as context:
        context.prec = 100
        roots, allocated = {}, {}
        for a in allocations:
            roots[a["project"]] = roots.get(a["project"], Decimal(0)) + (a["uq"] * a["amount"]).sqrt()
            allocated[a["project"]] = allocated.get(a["project"], 0) + a["amount"]
        qf = {p: s * s for p, s in roots.items()}
        total = sum(qf.values())
        cap = Decimal(matched_rewards) * Decimal("0.2")
        return {p: (allocated[p], min(Decimal(matched_rewards) * q / total, cap) if total else Decimal(0))
                for p, q in qf.items()}


def _random_epoch(rng):
    projects = [f"0x{n:040x}" for n in range(1, rng.randint(1, 8) + 1)]
    donors = [f"0x{n:040x}" for n in range(100, 100 + rng.randint(1, 12))]
    allocations = [{"donor": rng.choice(donors), "project": rng.choice(projects), "uq": rng.choice(UQS),
                    "amount": rng.choice([0, rng.randint(1, 10**6), rng.randint(1, 10**18), rng.randint(1, 10**23)])}
                   for _ in range(rng.randint(1, 30))]
    return projects, allocations, rng.choice([0, rng.randint(1, 10**20), rng.randint(1, 10**24)])


def test_exact_mode_is_within_one_wei_and_the_leaves_sum_to_total_withdrawals():
    rng = random.Random(13)
    for _ in range(1000):
        projects, allocations, matched_rewards = _random_epoch(rng)
        result = engine.project_rewards(4, allocations=allocations, projects=projects,
                                        matched_rewards=matched_rewards, rules=EXACT)
        exact = _exact_capped(allocations, matched_rewards)
        for reward in result.rewards:
            allocated, real = exact.get(reward.address, (0, Decimal(0)))
            assert reward.allocated == allocated
            assert abs(reward.matched - real) <= 1, (allocations, matched_rewards)
        leaves = sum(r.allocated + r.matched for r in result.rewards if r.allocated > 0)
        assert result.rewards_sum == leaves == result.total_allocated + result.used_matched_rewards
        assert result.used_matched_rewards <= matched_rewards


def test_reference_mode_misses_the_exact_value_where_exact_mode_does_not():
    # one big donor and many small ones: the float square roots and 28-digit sums drift by many wei
    rng = random.Random(5)
    projects = [f"0x{n:040x}" for n in range(1, 11)]
    allocations = [{"donor": f"0x{n:040x}", "project": projects[n % 10], "uq": Decimal("1.0"),
                    "amount": rng.randint(10**15, 10**19)} for n in range(100, 2100)]
    matched_rewards = 300 * 10**18
    exact = _exact_capped(allocations, matched_rewards)
    reference = engine.project_rewards(4, allocations=allocations, projects=projects, matched_rewards=matched_rewards)
    exact_mode = engine.project_rewards(4, allocations=allocations, projects=projects,
                                        matched_rewards=matched_rewards, rules=EXACT)
    assert max(abs(r.matched - exact[r.address][1]) for r in exact_mode.rewards) <= 1
    assert max(abs(r.matched - exact[r.address][1]) for r in reference.rewards) > 1


def test_exact_mode_simulation_and_leftover_use_the_exact_figures():
    p1, p2 = "0x" + "1" * 40, "0x" + "2" * 40
    allocations = [{"donor": "0xa", "project": p1, "amount": 4 * 10**18, "uq": Decimal("1.0")},
                   {"donor": "0xb", "project": p2, "amount": 10**18, "uq": Decimal("1.0")}]
    result = engine.project_rewards(4, allocations=allocations, projects=[p1, p2], matched_rewards=10**18,
                                    rules=EXACT)
    # qf 4 : 1 -> 0.8 and 0.2 of MR, both capped at 0.2 MR
    assert [(r.address, r.matched) for r in result.rewards] == [(p1, 2 * 10**17), (p2, 2 * 10**17)]
    assert result.used_matched_rewards == 4 * 10**17
    simulation = engine.simulate_allocation(
        4, allocations=allocations, new_allocations=[{"donor": "0xb", "project": p2, "amount": 0, "uq": Decimal("1.0")}],
        projects=[p1, p2], matched_rewards=10**18, rules=EXACT)
    assert [(r.address, r.matched) for r in simulation.rewards] == [(p1, 2 * 10**17), (p2, 0)]


def test_exact_sqrt_refuses_a_negative_uq():
    with pytest.raises(ValueError):
        engine.exact_sqrt_sums([{"project": "p", "amount": 1, "uq": Decimal("-1")}], matched_rewards=1)
