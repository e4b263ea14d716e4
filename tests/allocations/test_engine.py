"""Project rewards and leverage (docs/rewards.md §5): vectors §9.2, §9.4.4-9.4.6, §9.5.3-9.5.4."""
import math
import random
from decimal import Context, Decimal

import pytest

from allocations import engine
from tests.octant.core.math_constants import ALICE, BOB, CAROL, MATCHED_REWARDS, PROJECTS, USER1_BUDGET, allocation

P = PROJECTS
ONE, LOW = Decimal("1.0"), Decimal("0.01")


def _pairs(result):
    return [(r.address, r.allocated, r.matched) for r in result.rewards]


# --- §9.2.1 / §9.2.2 / §9.4.6 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "total, count, multiplier, expected",
    [
        (0, 20, 1, 0), (10**18, 5, 1, 200000000000000000), (10**18, 25, 1, 40000000000000000),
        (9987443300000, 25, 1, 399497732000), (9987443300000, 0, 1, 0),
        (0, 20, 2, 0), (10**18, 5, 2, 100000000000000000), (10**18, 25, 2, 20000000000000000),
        (9987443300000, 25, 2, 199748866000), (9987443300000, 0, 2, 0),
    ],
)
def test_allocation_threshold(total, count, multiplier, expected):
    assert engine.allocation_threshold(total, count, multiplier) == expected


def test_allocation_threshold_is_a_float_division():
    total = 10**30 + 1
    assert engine.allocation_threshold(total, 1, 1) == int(float(total)) != total


@pytest.mark.parametrize("epoch, expected", [(1, 60), (2, 60), (3, 120), (4, None), (11, None)])
def test_epoch_threshold(epoch, expected):
    # §9.4.6: two users each allocate P0 100, P1 200, P2 300 among 10 projects
    assert engine.epoch_threshold(epoch, total_allocated=1200, projects_count=10) == expected


def test_epoch_leverage():
    assert engine.epoch_leverage(300, 100) == 3
    assert engine.epoch_leverage(300, 0) == 0


def test_individual_leverage():
    capped = Decimal("44022879663100249681.4")
    assert engine.individual_leverage(before={P[0]: capped}, after={P[0]: capped}, new_projects=[], new_amount=0) == 0.0
    leverage = engine.individual_leverage(before={}, after={P[1]: capped}, new_projects=[P[1]], new_amount=200000000000)
    assert leverage == 220114398.31550124
    assert engine.individual_leverage(before={}, after={P[1]: int(capped)}, new_projects=[P[1]], new_amount=200000000000) == leverage


# --- §9.2.3 QF grouping -------------------------------------------------------------------------------

QF_DATA = (
    [allocation(ALICE, P[0], amount) for amount in (100, 200, 300, 400, 500)]
    + [allocation(BOB, P[1], amount) for amount in range(5, 100, 5)]
    + [allocation(CAROL, P[2], amount) for amount in (50, 100, 200)]
)


def test_quadratic_funding_grouping():
    by_address = sorted(QF_DATA, key=lambda a: a["project"])  # the reference's Flask order: [P1, P0, P2]
    aggregates = engine.aggregate_allocations(by_address)
    assert [a.address for a in aggregates] == [P[1], P[0], P[2]]
    assert [a.sqrt_sum**2 for a in aggregates] == [
        Decimal("16355.67773148602891767038366"),
        Decimal("7026.349558296852634537697422"),
        Decimal("974.2640687119285635803239250"),
    ]
    result = engine.quadratic_funding_project_rewards(allocations=by_address, projects=P, matched_rewards=35000)
    assert result.total_allocated == Decimal("24356.29135849481011578840500")


def test_qf_square_is_the_decimal_power_not_the_product():
    # the reference squares with `** 2`, which differs from S ⊗ S in the last digit for some S
    sqrt_sum = Decimal("4404115204.821205615997314453")
    aggregate = engine.ProjectAggregate(P[0], 1, sqrt_sum)
    result = engine.project_rewards_from_aggregates(aggregates=[aggregate], projects=P, matched_rewards=10**30)
    assert sqrt_sum**2 == Decimal("19396230737337329894.72229508") != sqrt_sum * sqrt_sum
    assert result.rewards[0].matched_exact == Decimal(10**30) * Decimal("0.2")
    other = engine.ProjectAggregate(P[1], 1, Decimal("2435348518.774515151977539062"))
    result = engine.project_rewards_from_aggregates(
        aggregates=[aggregate, other], projects=P, matched_rewards=35000 * 10**18, funding_cap_percent=Decimal(1)
    )
    assert result.rewards[0].matched_exact == Decimal("26803963000260823279371.85961")  # S ⊗ S would end in ...960


# --- §9.2.4 funding cap --------------------------------------------------------------------------------


def test_funding_cap():
    matched = {P[i]: Decimal(v) for i, v in enumerate(["500.0", "2000.0", "2000.0", "2500.0", "2500.0", "500.0"])}
    capped = engine.apply_funding_cap(matched, matched_rewards=10000)
    assert list(capped.values()) == [500, 2000, 2000, 2000, 2000, 500]
    assert sum(capped.values()) == 9000
    even = {P[i]: Decimal(2000) for i in range(5)}
    assert engine.apply_funding_cap(even, matched_rewards=10000) == even


# --- §9.2.5 capped QF ---------------------------------------------------------------------------------


def test_capped_qf_without_allocations():
    result = engine.capped_qf_project_rewards(allocations=[], projects=[], matched_rewards=35000)
    assert (result.rewards, result.rewards_sum, result.total_allocated, result.threshold, result.leverage) == ([], 0, 0, None, 0)


@pytest.mark.parametrize("uq", [ONE, LOW])
def test_capped_qf_one_allocation(uq):
    result = engine.capped_qf_project_rewards(allocations=[allocation(ALICE, P[0], 1000, uq)], projects=P, matched_rewards=35000)
    assert _pairs(result) == [(P[0], 1000, 7000)] + [(p, 0, 0) for p in P[1:]]
    assert result.rewards[0].matched_exact == Decimal("7000.0")
    assert result.rewards_sum == 8000


DATASET_2 = [(P[i], 1000 * (i + 1)) for i in range(6)]


def test_capped_qf_dataset_2():
    allocations = [allocation(ALICE, p, amount) for p, amount in DATASET_2]
    result = engine.capped_qf_project_rewards(allocations=allocations, projects=P[:6], matched_rewards=35000)
    assert result.total_allocated == 21000
    assert result.rewards_sum == 51666
    assert [(r.address, r.allocated, r.matched, r.matched_exact) for r in result.rewards] == [
        (P[5], 6000, 7000, Decimal("7000.0")),
        (P[4], 5000, 7000, Decimal("7000.0")),
        (P[3], 4000, 6666, Decimal("6666.666666666666204863158746")),
        (P[2], 3000, 5000, Decimal("5000.000000000000315331693286")),
        (P[1], 2000, 3333, Decimal("3333.333333333333585856925941")),
        (P[0], 1000, 1666, Decimal("1666.666666666666551215789687")),
    ]
    assert sum(r.matched for r in result.rewards) == 30665
    # distribution check over all 10 projects
    result = engine.capped_qf_project_rewards(allocations=allocations, projects=P, matched_rewards=35000)
    assert sum(r.matched for r in result.rewards) == 30665


def test_capped_qf_dataset_2_with_low_uq():
    allocations = [allocation(ALICE, p, amount, LOW) for p, amount in DATASET_2]
    result = engine.capped_qf_project_rewards(allocations=allocations, projects=P[:6], matched_rewards=35000)
    assert result.rewards_sum == 51666
    assert [(r.matched, r.matched_exact) for r in result.rewards] == [
        (7000, Decimal("7000.0")),
        (7000, Decimal("7000.0")),
        (6666, Decimal("6666.666666666666947887352277")),
        (4999, Decimal("4999.999999999999705682902270")),
        (3333, Decimal("3333.333333333333395635667734")),
        (1666, Decimal("1666.666666666666736971838070")),
    ]
    assert sum(r.matched for r in result.rewards) == 30664


def test_capped_qf_many_allocations():
    allocations = [allocation(donor, p, amount) for p, amount in DATASET_2 for donor in (ALICE, BOB)]
    result = engine.capped_qf_project_rewards(allocations=allocations, projects=P[:6], matched_rewards=100000)
    assert result.total_allocated == 42000
    assert result.rewards_sum == 129619
    assert [(r.address, r.matched, r.matched_exact) for r in result.rewards] == [
        (P[5], 20000, Decimal("20000.0")),
        (P[4], 20000, Decimal("20000.0")),
        (P[3], 19047, Decimal("19047.61904761904629960902499")),
        (P[2], 14285, Decimal("14285.71428571428661523340940")),
        (P[1], 9523, Decimal("9523.809523809524531019788398")),
        (P[0], 4761, Decimal("4761.904761904761574902256246")),
    ]
    assert sum(r.matched for r in result.rewards) == 87616
    assert result.used_matched_rewards == 87619


def test_capped_qf_leverage_and_missing_uq():
    allocations = [allocation(ALICE, P[0], 1000), allocation(BOB, P[1], 3000, None)]
    result = engine.capped_qf_project_rewards(allocations=allocations, projects=P[:2], matched_rewards=8000)
    assert result.leverage == 2.0
    assert _pairs(result) == [(P[1], 3000, 0), (P[0], 1000, 1600)]  # a missing UQ counts 0.0 (v2)


def test_capped_qf_keeps_projects_allocated_outside_the_list():
    outsider = "0x0000000000000000000000000000000000000001"
    result = engine.capped_qf_project_rewards(
        allocations=[allocation(ALICE, outsider, 10), allocation(ALICE, P[0], 10)], projects=P[:2], matched_rewards=100
    )
    assert [r.address for r in result.rewards] == [P[0], outsider, P[1]]
    assert result.rewards_sum == 20 + 40


# --- aggregates: the O(projects) path ---------------------------------------------------------------


def _random_allocations(seed, count, projects, donors=50):
    rng = random.Random(seed)
    uqs = [ONE, LOW, Decimal("0.2"), Decimal("22.0"), Decimal("0.0"), None]
    return [
        allocation(f"donor{rng.randrange(donors)}", rng.choice(projects),
                   rng.choice([rng.randrange(1, 10**21), rng.randrange(10**26, 10**30), rng.randrange(0, 1000)]),
                   rng.choice(uqs))
        for _ in range(count)
    ]


@pytest.mark.parametrize("seed", range(4))
def test_aggregates_built_one_by_one_give_the_full_result(seed):
    allocations = _random_allocations(seed, 400, P)
    full = engine.capped_qf_project_rewards(allocations=allocations, projects=P, matched_rewards=MATCHED_REWARDS)
    aggregates: dict[str, engine.ProjectAggregate] = {}
    for item in allocations:
        aggregate = aggregates.setdefault(item["project"], engine.ProjectAggregate(item["project"]))
        engine.add_allocation(aggregate, item["amount"], item["uq"])
    assert engine.aggregate_allocations(allocations) == list(aggregates.values())
    from_aggregates = engine.project_rewards_from_aggregates(
        aggregates=list(aggregates.values()), projects=P, matched_rewards=MATCHED_REWARDS
    )
    assert from_aggregates == full


def test_fast_path_matches_the_decimal_square_root_term_by_term():
    for item in _random_allocations(9, 3000, P[:1]):
        [aggregate] = engine.aggregate_allocations([item])
        assert aggregate.sqrt_sum == Decimal(0) + engine.qf_contribution(item["amount"], item["uq"])


def test_fast_path_is_skipped_when_the_decimal_product_is_rounded():
    # 29 digits: R28(1.0 ⊗ amount) lands on a float midpoint that rounds up, while the exact amount rounds down
    amount = 39614081257132269951841730559
    rounded = Context(prec=28).create_decimal(amount)  # 39614081257132269951841730560
    assert float(rounded) != float(amount)
    [aggregate] = engine.aggregate_allocations([allocation(ALICE, P[0], amount)])
    assert aggregate.sqrt_sum == engine.qf_contribution(amount, ONE) == Decimal(math.sqrt(float(rounded)))


@pytest.mark.parametrize(
    "allocations",
    [
        [allocation(ALICE, p, amount) for p, amount in DATASET_2],
        [allocation(ALICE, p, amount, LOW) for p, amount in DATASET_2],
        QF_DATA,
    ],
)
def test_vectors_through_aggregates(allocations):
    full = engine.capped_qf_project_rewards(allocations=allocations, projects=P, matched_rewards=35000)
    aggregates = []
    for item in allocations:
        if not aggregates or aggregates[-1].address != item["project"]:
            aggregates.append(engine.ProjectAggregate(item["project"]))
        engine.add_allocation(aggregates[-1], item["amount"], item["uq"])
    assert engine.project_rewards_from_aggregates(aggregates=aggregates, projects=P, matched_rewards=35000) == full


# --- §9.2.6 / §9.4.5 preliminary ----------------------------------------------------------------------


def _preliminary(allocations, projects, multiplier=1, matched=100 * 10**18):
    return engine.preliminary_project_rewards(
        allocations=[allocation(ALICE, P[i], amount) for i, amount in allocations],
        projects=projects, matched_rewards=matched, threshold_multiplier=multiplier,
    )


def test_preliminary_without_allocations():
    result = _preliminary([], [])
    assert (result.rewards, result.rewards_sum, result.total_allocated, result.threshold, result.leverage) == ([], 0, 0, 0, 0.0)


def test_preliminary_one_project():
    result = _preliminary([(0, 100000000000)], P)
    assert _pairs(result) == [(P[0], 100000000000, 100000000000000000000)] + [(p, 0, 0) for p in P[1:]]
    assert result.rewards_sum == 100000000100000000000


def test_preliminary_multiple_projects():
    result = _preliminary([(0, 10**11), (0, 10**11), (1, 2 * 10**11), (2, 5 * 10**11)], P)
    assert result.threshold == 90000000000
    assert _pairs(result)[:3] == [
        (P[2], 500000000000, 55555555555555555555),
        (P[0], 200000000000, 22222222222222222222),
        (P[1], 200000000000, 22222222222222222222),
    ]
    assert all(r.matched == r.allocated == 0 for r in result.rewards[3:])
    assert result.rewards_sum == 100000000899999999999


@pytest.mark.parametrize(
    "allocations, threshold, expected, rewards_sum",
    [
        ([(0, 69 * 10**9), (1, 200 * 10**9), (2, 500 * 10**9)], 153800000000,
         [(P[2], 500 * 10**9, 71428571428571428571), (P[1], 200 * 10**9, 28571428571428571428), (P[0], 69 * 10**9, 0)],
         100000000699999999999),
        ([(0, 100 * 10**9), (1, 400 * 10**9), (2, 500 * 10**9)], 200000000000,
         [(P[2], 500 * 10**9, 55555555555555555555), (P[1], 400 * 10**9, 44444444444444444444), (P[0], 100 * 10**9, 0)],
         None),
        ([(0, 30 * 10**9), (1, 30 * 10**9), (2, 500 * 10**9)], 112000000000,
         [(P[2], 500 * 10**9, 100000000000000000000), (P[0], 30 * 10**9, 0), (P[1], 30 * 10**9, 0)], None),
    ],
)
def test_preliminary_threshold_cases(allocations, threshold, expected, rewards_sum):
    result = _preliminary(allocations, P[:5])
    assert result.threshold == threshold
    assert _pairs(result)[:3] == expected
    if rewards_sum is not None:
        assert result.rewards_sum == rewards_sum


def test_preliminary_total_and_distribution():
    result = _preliminary([(0, 300 * 10**9), (0, 300 * 10**9), (1, 200 * 10**9), (2, 500 * 10**9)], P[:5])
    assert (result.total_allocated, result.threshold) == (1300000000000, 260000000000)
    result = _preliminary([(0, 200 * 10**9), (1, 200 * 10**9), (2, 500 * 10**9)], P)
    assert sum(r.matched for r in result.rewards) == 99999999999999999999


def test_finalizing_preliminary_rewards_epoch_1():
    # §9.4.5: multiplier 2, MR 9000; P3's 0 allocation is not a reward row
    allocations = [allocation(ALICE, P[2], 500), allocation(BOB, P[0], 200), allocation(CAROL, P[1], 200),
                   allocation(ALICE, P[3], 0)]
    result = engine.project_rewards(1, allocations=allocations, projects=P, matched_rewards=9000)
    assert result.threshold == 45
    rows = [(r.address, r.allocated + r.matched, r.matched) for r in result.rewards if r.allocated > 0]
    assert rows == [(P[2], 5500, 5000), (P[0], 2200, 2000), (P[1], 2200, 2000)]
    assert result.rewards_sum == 9900


def test_below_threshold_sum_counts_only_allocated_projects():
    allocations = [allocation(ALICE, P[0], 10), allocation(ALICE, P[1], 100), allocation(ALICE, P[2], 55)]
    # threshold over 3 allocated projects, multiplier 2: trunc(165 / 6) = 27; strictly below: P0
    assert engine.below_threshold_sum(1, allocations=allocations) == 10
    assert engine.below_threshold_sum(4, allocations=allocations) == 0


# --- §9.2.7 plain QF (unused) ------------------------------------------------------------------------


def test_plain_qf():
    empty = engine.quadratic_funding_project_rewards(allocations=[], projects=[], matched_rewards=35000)
    assert (empty.rewards, empty.rewards_sum, empty.total_allocated, empty.threshold, empty.leverage) == ([], 0, 0, None, 0)
    one = engine.quadratic_funding_project_rewards(allocations=[allocation(ALICE, P[0], 100)], projects=P, matched_rewards=35000)
    assert _pairs(one)[0] == (P[0], 100, 35000)
    result = engine.quadratic_funding_project_rewards(allocations=QF_DATA, projects=P, matched_rewards=35000)
    assert result.total_allocated == Decimal("24356.29135849481011578840500")
    assert result.rewards_sum == 59356
    assert _pairs(result)[:3] == [(P[1], 16355, 23503), (P[0], 7026, 10096), (P[2], 974, 1400)]
    assert all(r.allocated == r.matched == 0 for r in result.rewards[3:])
    result = engine.quadratic_funding_project_rewards(allocations=QF_DATA, projects=P, matched_rewards=MATCHED_REWARDS)
    assert [r.matched for r in result.rewards[:3]] == [147810687182170939286, 63499023008668663233, 8804688124661645887]
    assert sum(r.matched for r in result.rewards) == 220114398315501248406


# --- §9.4.4 estimated project rewards -----------------------------------------------------------------


def test_estimated_project_rewards():
    result = engine.project_rewards(2, allocations=[], projects=P, matched_rewards=MATCHED_REWARDS)
    assert _pairs(result) == [(p, 0, 0) for p in P]
    assert (result.total_allocated, result.rewards_sum, result.threshold) == (0, 0, 0)

    result = engine.project_rewards(3, allocations=[allocation(ALICE, P[0], USER1_BUDGET)], projects=P,
                                    matched_rewards=MATCHED_REWARDS)
    assert _pairs(result)[0] == (P[0], USER1_BUDGET, MATCHED_REWARDS)
    assert (result.total_allocated, result.rewards_sum, result.threshold) == (USER1_BUDGET, 220115925184490486394, 152686898923798)

    result = engine.project_rewards(4, allocations=[], projects=P, matched_rewards=MATCHED_REWARDS)
    assert _pairs(result) == [(p, 0, 0) for p in P]
    assert (result.total_allocated, result.rewards_sum, result.threshold) == (0, 0, None)

    result = engine.project_rewards(4, allocations=[allocation(ALICE, P[0], USER1_BUDGET, LOW)], projects=P,
                                    matched_rewards=MATCHED_REWARDS)
    assert result.rewards[0].allocated == result.total_allocated == USER1_BUDGET
    assert (result.rewards_sum, result.threshold) == (44024406532089487668, None)


# --- §9.5.3 / §9.5.4 simulation -------------------------------------------------------------------------


def test_simulate_allocation_single_user_epoch_1():
    existing = [allocation(ALICE, P[0], 10 * 10**18), allocation(ALICE, P[1], 20 * 10**18), allocation(ALICE, P[2], 30 * 10**18)]
    new = [allocation(ALICE, P[0], 40 * 10**18), allocation(ALICE, P[1], 50 * 10**18)]
    result = engine.simulate_allocation(1, allocations=existing, new_allocations=new, projects=P, matched_rewards=MATCHED_REWARDS)
    assert result.leverage == 2.445715536838903
    assert result.threshold == 4500000000000000000
    assert [r.address for r in result.rewards] == sorted(P)
    by_address = {r.address: (r.allocated, r.matched) for r in result.rewards}
    assert by_address[P[1]] == (50 * 10**18, 122285776841945138003)
    assert by_address[P[0]] == (40 * 10**18, 97828621473556110403)
    assert sum(r.allocated for r in result.rewards) == 90 * 10**18


def test_simulate_allocation_multiple_users_epoch_1():
    existing = [allocation(ALICE, P[0], 10 * 10**18), allocation(ALICE, P[1], 20 * 10**18), allocation(ALICE, P[2], 30 * 10**18),
                allocation(BOB, P[0], 40 * 10**18), allocation(BOB, P[1], 50 * 10**18)]
    new = [allocation(ALICE, P[0], 60 * 10**18), allocation(ALICE, P[1], 70 * 10**18)]
    result = engine.simulate_allocation(1, allocations=existing, new_allocations=new, projects=P, matched_rewards=MATCHED_REWARDS)
    assert (result.leverage, result.threshold) == (1.0005199923431876, 11000000000000000000)
    by_address = {r.address: (r.allocated, r.matched) for r in result.rewards}
    assert by_address[P[1]] == (120 * 10**18, 120062399081182499131)
    assert by_address[P[0]] == (100 * 10**18, 100051999234318749275)


@pytest.mark.parametrize("epoch, leverage, threshold, matched", [
    (1, 1100571991.5775063, 10000000000, MATCHED_REWARDS),
    (4, 220114398.31550124, None, 44022879663100249681),
])
def test_simulate_pending_allocation(epoch, leverage, threshold, matched):
    existing = [allocation(ALICE, P[0], 100, LOW)]
    new = [allocation(ALICE, P[1], 200000000000, LOW)]
    result = engine.simulate_allocation(epoch, allocations=existing, new_allocations=new, projects=P, matched_rewards=MATCHED_REWARDS)
    assert (result.leverage, result.threshold) == (leverage, threshold)
    by_address = {r.address: (r.allocated, r.matched) for r in result.rewards}
    assert by_address[P[1]] == (200000000000, matched)
    assert all(by_address[p] == (0, 0) for p in P if p != P[1])


def test_simulate_allocation_needs_one_donor():
    with pytest.raises(ValueError):
        engine.simulate_allocation(4, allocations=[], new_allocations=[allocation(ALICE, P[0], 1), allocation(BOB, P[1], 1)],
                                   projects=P, matched_rewards=1)


# --- one donor's change as a delta on the aggregates (the write and the simulation share it) -------------


def _by_address(aggregates):
    return {a.address: a for a in aggregates}


@pytest.mark.parametrize("seed", range(4))
def test_allocation_change_adding_equals_the_full_recomputation(seed):
    earlier = _random_allocations(seed, 300, P)
    uq = random.Random(seed).choice([ONE, LOW, Decimal("0.2"), None])
    new = [(P[2], 7 * 10**18), (P[0], 123456789)]
    current = _by_address(engine.aggregate_allocations(earlier))
    changed = engine.apply_allocation_change(current, added=new, uq=uq)
    full = engine.aggregate_allocations(earlier + [allocation("newcomer", p, a, uq) for p, a in new])
    assert changed == _by_address(full)  # to the last digit of S: the same sums in the same order
    assert current == _by_address(engine.aggregate_allocations(earlier))  # the input is left as it was


@pytest.mark.parametrize("seed", range(4))
def test_allocation_change_replacing_is_exact_in_wei_and_a_rounding_away_in_s(seed):
    others = _random_allocations(seed, 300, P)
    uq = ONE
    mine = [(P[0], 5 * 10**18), (P[1], 10**18)]
    new = [(P[1], 2 * 10**18), (P[2], 3 * 10**18)]
    current = _by_address(engine.aggregate_allocations(others + [allocation("me", p, a, uq) for p, a in mine]))
    before = engine.apply_allocation_change(current, removed=mine, uq=uq)
    after = engine.apply_allocation_change(before, added=new, uq=uq)
    assert after == engine.apply_allocation_change(current, removed=mine, added=new, uq=uq)  # one step or two
    full = _by_address(engine.aggregate_allocations(others + [allocation("me", p, a, uq) for p, a in new]))
    assert {p: a.allocated for p, a in after.items()} == {p: a.allocated for p, a in full.items()}
    for project, aggregate in after.items():
        assert abs(aggregate.sqrt_sum - full[project].sqrt_sum) <= Decimal("1e-12") * max(full[project].sqrt_sum, 1)
    result = engine.project_rewards_from_aggregates(aggregates=list(after.values()), projects=P,
                                                    matched_rewards=MATCHED_REWARDS)
    expected = engine.project_rewards_from_aggregates(aggregates=list(full.values()), projects=P,
                                                      matched_rewards=MATCHED_REWARDS)
    for got, want in zip(result.rewards, expected.rewards):
        assert got.address == want.address and got.allocated == want.allocated
        assert abs(got.matched - want.matched) <= 1  # the rebuild makes it exact (tests/lifecycle/test_aggregate_paths)


def test_allocation_change_starts_an_unseen_project_at_zero():
    changed = engine.apply_allocation_change({}, added=[(P[0], 4)], uq=ONE)
    assert changed == {P[0]: engine.ProjectAggregate(P[0], 4, Decimal(0) + engine.qf_contribution(4, ONE))}
    assert engine.apply_allocation_change(changed, removed=[(P[0], 4)], uq=ONE) == {
        P[0]: engine.ProjectAggregate(P[0], 0, Decimal(0))}


@pytest.mark.parametrize("seed", range(40))
def test_leverage_from_aggregates_equals_two_full_reward_lists(seed):
    """The allocation's leverage, worked out for the added projects only, equals comparing the capped-QF
    reward lists of every project before and after the change (the simulation's figure), to the last bit:
    few projects, so the funding cap binds often; a project the donor is the first to fund; none at all."""
    rng = random.Random(seed)
    projects = [f"0x{index:040x}" for index in range(rng.randrange(2, 7))]
    uqs = [Decimal("1.0"), Decimal("0.01"), Decimal("0.2"), None]
    existing = [{"donor": f"d{rng.randrange(30)}", "project": rng.choice(projects[:-1]),
                 "amount": rng.randrange(1, 10**18), "uq": rng.choice(uqs)} for _ in range(rng.randrange(0, 60))]
    current = {a.address: a for a in engine.aggregate_allocations(existing)}
    uq = rng.choice(uqs)
    removed = [(a["project"], a["amount"]) for a in existing if a["donor"] == "d0"]
    added = [(p, rng.randrange(0, 10**18)) for p in rng.sample(projects, rng.randrange(1, len(projects) + 1))]
    matched = rng.choice([MATCHED_REWARDS, 10**15, 7])
    cap = rng.choice([engine.FUNDING_CAP_PERCENT, Decimal("0.5"), Decimal("1")])

    before = engine.apply_allocation_change(current, removed=removed, uq=uq)
    after = engine.apply_allocation_change(before, added=added, uq=uq)
    lists = [engine.project_rewards_from_aggregates(aggregates=list(state.values()), projects=projects,
                                                    matched_rewards=matched, funding_cap_percent=cap)
             for state in (before, after)]
    expected = engine.individual_leverage(
        before={r.address: r.matched for r in lists[0].rewards}, after={r.address: r.matched for r in lists[1].rewards},
        new_projects=[p for p, _ in added], new_amount=sum(a for _, a in added))
    assert engine.leverage_from_aggregates(current, removed=removed, added=added, uq=uq, matched_rewards=matched,
                                           funding_cap_percent=cap) == expected
