"""Octant rewards, leftover and budgets (docs/rewards.md §3, §4.1-4.2): vectors of docs/rewards.md §9.1, §9.3.6,
§9.4, §9.5.6, §9.5.10-9.5.11 and §9.6 (the budget estimates' are in tests/deposits/test_estimates.py)."""
from decimal import Decimal, getcontext

import pytest

from allocations import engine as allocations_engine
from rewards import engine
from tests.octant.core.math_constants import (
    ALICE,
    BOB,
    CAROL,
    COMMUNITY_FUND,
    E18,
    ETH_PROCEEDS,
    HALF_PPF,
    LOCKED_RATIO,
    MATCHED_REWARDS,
    MATCHED_REWARDS_AFTER_OVERHAUL,
    OPERATIONAL_COST,
    PPF,
    PROJECTS,
    TOTAL_ED,
    TOTAL_REWARDS,
    USER1_BUDGET,
    USER1_ED,
    USER2_BUDGET,
    USER2_ED,
    USER3_BUDGET,
    VANILLA_INDIVIDUAL_REWARDS,
    allocation,
)
from withdrawals import engine as withdrawals_engine

P0, P1 = PROJECTS[0], PROJECTS[1]


# --- §9.1.1-9.1.5 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ted, ratio",
    [
        (400000000000000000000, "0.0000004"),
        (9999999999999999999999, "0.000009999999999999999999999"),
        (22700000000000099999994, "0.000022700000000000099999994"),
        (77659900000050080003040099, "0.077659900000050080003040099"),
        (111388800044440000000000000, "0.11138880004444"),
        (422361100000000000000000000, "0.4223611"),
        (1000000000000000000000000000, "1"),
        (TOTAL_ED, str(LOCKED_RATIO)),
    ],
)
def test_locked_ratio(ted, ratio):
    assert engine.locked_ratio(ted) == Decimal(ratio)


def test_locked_ratio_string_form_is_the_reference_one():
    assert str(engine.locked_ratio(TOTAL_ED)) == "0.100022700000000000099999994"
    assert str(engine.locked_ratio(90 * E18)) == "9E-8"


@pytest.mark.parametrize(
    "proceeds, cost_20, cost_25",
    [
        (4338473610477382755, 867694722095476551, 1084618402619345688),
        (600000000000000000000, 120000000000000000000, 150000000000000000000),
        (10000000000000000000, 2000000000000000000, 2500000000000000000),
        (1200000000000000000000, 240000000000000000000, 300000000000000000000),
    ],
)
def test_operational_cost(proceeds, cost_20, cost_25):
    assert engine.operational_cost(proceeds, percent=Decimal("0.20")) == cost_20
    assert engine.operational_cost(proceeds, percent=Decimal("0.25")) == cost_25


REWARDS_INPUTS = [
    (4338473610477382755, "0.0000004"),
    (600000000000000000000, "0.0003298799699"),
    (10000000000000000000, "0.2"),
    (10000000000000000000, "0.25"),
    (10000000000000000000, "0.43"),
    (1200000000000000000000, "1"),
]


@pytest.mark.parametrize(
    "inputs, total, vanilla",
    zip(
        REWARDS_INPUTS,
        [2743891635528535, 10897558862607717064, 4472135954999579392, 5000000000000000000, 6557438524302000652,
         1200000000000000000000],
        [1735389444190, 197927981940000000, 2000000000000000000, 2500000000000000000, 4300000000000000000,
         1200000000000000000000],
    ),
)
def test_rewards_preliminary(inputs, total, vanilla):
    proceeds, ratio = inputs
    assert engine.rewards_preliminary(proceeds, Decimal(ratio)) == (total, vanilla)


@pytest.mark.parametrize(
    "inputs, total, vanilla",
    zip(
        REWARDS_INPUTS,
        [3470778888381906204, 480000000000000000000, 8000000000000000000, 8000000000000000000, 8000000000000000000,
         960000000000000000000],
        [2195113308422828, 8718047090086173651, 3577708763999663514, 4000000000000000000, 5245950819441600521,
         960000000000000000000],
    ),
)
def test_rewards_all_proceeds_with_op_cost(inputs, total, vanilla):
    proceeds, ratio = inputs
    opcost = engine.operational_cost(proceeds, percent=Decimal("0.20"))
    assert engine.rewards_all_proceeds_with_op_cost(proceeds, Decimal(ratio), opcost) == (total, vanilla)


@pytest.mark.parametrize(
    "proceeds, ratio, total, vanilla",
    [
        (4338473610477382755, "0.0000004", 5487783271057070, 3470778888380),
        (600000000000000000000, "0.0003298799699", 21795117725215434128, 395855963880000000),
        (10000000000000000000, "0.2", 8944271909999158784, 4000000000000000000),
        (4338473610477382755, "0.25", 4338473610477382755, 2169236805238691377),
        (10000000000000000000, "0.25", 10000000000000000000, 5000000000000000000),
        (4338473610477382755, "0.43", 4338473610477382755, 2169236805238691377),
        (10000000000000000000, "0.43", 10000000000000000000, 5000000000000000000),
        (1200000000000000000000, "1", 1200000000000000000000, 600000000000000000000),
    ],
)
def test_rewards_double_unused_variant(proceeds, ratio, total, vanilla):
    assert engine.rewards_double(proceeds, Decimal(ratio)) == (total, vanilla)


# --- §9.1.6 / §9.6.2 matched rewards ---------------------------------------------------------------


def test_matched_rewards_preliminary():
    assert engine.matched_rewards_preliminary(TOTAL_REWARDS, VANILLA_INDIVIDUAL_REWARDS, USER1_BUDGET) == (
        220115925184490486394
    )


def test_an_invalid_matched_rewards_strategy_matches_the_patrons_only():
    rewards = engine.octant_rewards(5, staking_proceeds=E18, total_effective_deposit=710 * 10**24,
                                    patrons_rewards=USER2_BUDGET)
    assert rewards.matched_rewards_or_patrons == USER2_BUDGET  # locked ratio 0.71: the one fallback
    valid = engine.octant_rewards(5, staking_proceeds=E18, total_effective_deposit=10**24, patrons_rewards=7)
    assert valid.matched_rewards_or_patrons == valid.matched_rewards


def test_matched_rewards_percentage_rejects_a_locked_ratio_above_70_percent():
    with pytest.raises(engine.InvalidMatchedRewardsStrategy):
        engine.matched_rewards_percentage(ETH_PROCEEDS, Decimal("0.7") + Decimal("0.01"), USER2_BUDGET)
    with pytest.raises(engine.InvalidMatchedRewardsStrategy):
        engine.octant_rewards(5, staking_proceeds=E18, total_effective_deposit=710 * 10**24).matched_rewards


@pytest.mark.parametrize(
    "ratio, expected",
    [("0.1", 350000000000000000 + 7), ("0.35", 350000000000000000 + 7), ("0.5", 200000000000000000 + 7),
     ("0.7", 7)],
)
def test_matched_rewards_percentage_branches(ratio, expected):
    assert engine.matched_rewards_percentage(E18, Decimal(ratio), 7) == expected


@pytest.mark.parametrize(
    "proceeds, ratio, reserved",
    [
        (E18, "0.20", 350000000000000000),
        (E18, "0.35", 350000000000000000),
        (E18, "0.5", 200000000000000000),
        (E18, "0.69", 10000000000000000),
        (E18, "0.7", 0),
        (E18, "0.8", 0),
        (500 * E18, "0.42", 140000000000000000000),
        (0, "0.5", 0),
        (E18, "0.01", 350000000000000000),
    ],
)
def test_staking_matched_reserved_from_epoch_11(proceeds, ratio, reserved):
    assert engine.staking_matched_reserved(proceeds, Decimal(ratio)) == reserved


def test_percentage_matched_rewards_are_the_reserved_part_plus_patrons():
    assert engine.matched_rewards_percentage(E18, Decimal("0.5"), E18 // 2) == 700000000000000000
    assert engine.staking_matched_reserved(E18, Decimal("0.5")) + E18 // 2 == 700000000000000000


@pytest.mark.parametrize(
    "epoch, ted, patrons, matched, reserved",
    [
        (11, 5 * 10**26, 150000, 150000, 200000),  # LR 0.5
        (11, 10**26, 80000, 80000, 350000),  # LR < 0.35
        (11, 7 * 10**26, 60000, 60000, 0),  # LR >= 0.7
        (11, 4 * 10**26, 0, 0, 300000),
        (10, 5 * 10**26, 150000, 350000, 0),  # not an epoch >= 11
    ],
)
def test_epoch_11_matched_rewards_are_patrons_only(epoch, ted, patrons, matched, reserved):
    # §9.6.3 test_e11_finalized_simulate, P = 1000000
    rewards = engine.octant_rewards(epoch, staking_proceeds=1000000, total_effective_deposit=ted, patrons_rewards=patrons)
    assert (rewards.matched_rewards, rewards.staking_matched_reserved) == (matched, reserved)


# --- §9.1.7 leftover -----------------------------------------------------------------------------------


@pytest.mark.parametrize("epoch, expected", [(1, 320), (2, 320), (3, 95), (4, 100), (12, 100)])
def test_leftover_variants(epoch, expected):
    value = engine.leftover(
        epoch, staking_proceeds=1000, operational_cost=250, community_fund=50, ppf=350,
        total_withdrawals=430, matched_rewards=100, used_matched_rewards=95,
    )
    assert value == expected


def test_leftover_when_the_matched_sum_is_fractional():
    """M = Σ capped matched = ...939.9996423 (28 digits): the reference's MR_used is int(M) = ...939, while its
    total withdrawals take int(A ⊕ M), where the 28-digit sum rounds M up to ...940. Both kept: leftover is
    1 wei below what a single rounding of M would give, as in the reference."""
    p2, p3, p4 = (f"0x{n:040x}" for n in (2, 3, 4))
    low = Decimal("0.01")
    allocations = [
        {"donor": "0xd0", "project": p3, "amount": 391316116114702823708849, "uq": low},
        {"donor": "0xd1", "project": p4, "amount": 119009463291596088066265, "uq": low},
        {"donor": "0xd2", "project": p2, "amount": 499895695804032398356860, "uq": low},
    ]
    matched_rewards = 293108969487101432779
    result = allocations_engine.project_rewards(4, allocations=allocations, projects=[p2, p3, p4],
                                                matched_rewards=matched_rewards)
    allocated = 391316116114702823708849 + 119009463291596088066265 + 499895695804032398356860
    assert sum(r.matched_exact for r in result.rewards) == Decimal("151773390324835851939.9996423")
    assert result.used_matched_rewards == 151773390324835851939
    assert result.rewards_sum == allocated + 151773390324835851940
    assert sum(r.allocated + r.matched for r in result.rewards) == result.rewards_sum - 2  # the leaves truncate per project
    claimed = 5 * 10**18
    total_withdrawals = engine.total_withdrawals(claimed_rewards_sum=claimed, project_rewards_sum=result.rewards_sum)
    leftover = engine.leftover(
        4, staking_proceeds=10**24, operational_cost=25 * 10**22, community_fund=5 * 10**22, ppf=3 * 10**20 + 1,
        total_withdrawals=total_withdrawals, matched_rewards=matched_rewards,
        used_matched_rewards=result.used_matched_rewards)
    assert leftover == (10**24 - 25 * 10**22 - 5 * 10**22 - 150000000000000000000 - claimed - allocated
                        - 151773390324835851940 + matched_rewards - 151773390324835851939)


def test_half_ppf_is_a_float_division():
    assert engine.half_ppf(PPF) == HALF_PPF
    assert HALF_PPF - PPF // 2 == 741
    assert engine.half_ppf(None) == 0


# --- §9.3.6 / §9.4.8 / §9.5.6 budgets ---------------------------------------------------------------


def test_budget_preliminary():
    assert engine.budget_preliminary(USER1_ED, TOTAL_ED, VANILLA_INDIVIDUAL_REWARDS) == USER1_BUDGET
    assert engine.budget_preliminary(USER1_ED, 0, VANILLA_INDIVIDUAL_REWARDS) == 0
    assert engine.budget_preliminary(USER1_ED, None, VANILLA_INDIVIDUAL_REWARDS) == 0


def test_budget_with_ppf():
    assert engine.budget_with_ppf(USER1_ED, TOTAL_ED, VANILLA_INDIVIDUAL_REWARDS, PPF) == 1819523568520052
    assert engine.budget_with_ppf(USER1_ED, TOTAL_ED, VANILLA_INDIVIDUAL_REWARDS, 0) == USER1_BUDGET
    assert engine.budget_with_ppf(USER1_ED, 0, VANILLA_INDIVIDUAL_REWARDS, PPF) == 0


@pytest.mark.parametrize("epoch, expected", [(1, USER1_BUDGET), (2, USER1_BUDGET), (3, 1819523568520052), (7, 1819523568520052)])
def test_user_budget_follows_the_epoch_variant(epoch, expected):
    budget = engine.user_budget(
        epoch, effective_deposit=USER1_ED, total_effective_deposit=TOTAL_ED,
        vanilla_individual_rewards=VANILLA_INDIVIDUAL_REWARDS, ppf=PPF,
    )
    assert budget == expected


def test_user_budgets_drop_zero_budgets():
    kwargs = dict(vanilla_individual_rewards=VANILLA_INDIVIDUAL_REWARDS, ppf=PPF)
    deposits = [(ALICE, USER1_ED), (BOB, USER2_ED), (CAROL, 0)]
    assert engine.user_budgets(1, deposits=deposits, total_effective_deposit=TOTAL_ED, **kwargs) == [
        (ALICE, USER1_BUDGET), (BOB, USER2_BUDGET)]
    assert engine.user_budgets(1, deposits=deposits, total_effective_deposit=0, **kwargs) == []
    # pre-pending snapshot (§9.4.8): the denominator is the snapshot's TED, not the 3060 GLM of the deposits
    deposits = [(ALICE, 270 * E18), (BOB, 2790 * E18)]
    assert engine.user_budgets(1, deposits=deposits, total_effective_deposit=TOTAL_ED, **kwargs) == [
        (ALICE, 274836407916427), (BOB, 2839976215136415)]


def test_upcoming_budget_with_the_fixture_rewards():
    # §9.5.6: epoch 3 (PPF budget), alice's ED 270 GLM
    budget = engine.user_budget(
        3, effective_deposit=270 * E18, total_effective_deposit=TOTAL_ED,
        vanilla_individual_rewards=VANILLA_INDIVIDUAL_REWARDS, ppf=PPF,
    )
    assert budget == 327514230242439


# --- §9.4.1 / §9.6.3 octant rewards ---------------------------------------------------------------


@pytest.mark.parametrize(
    "epoch, total, vanilla, opcost, cf, ire, ppf",
    [
        (1, 321928767123288000000, 101814368807786772948, 80482191780822000000, None, None, None),
        (2, 127267961009733466185, 40250230619178123337, 100602739726027500000, None, None, None),
        (3, 281687671232877000000, 40250230619178123337, 100602739726027500000, 20120547945205500000,
         140843835616438500000, 100593604997260376663),
    ],
)
def test_calculated_octant_rewards(epoch, total, vanilla, opcost, cf, ire, ppf):
    rewards = engine.octant_rewards(epoch, staking_proceeds=ETH_PROCEEDS, total_effective_deposit=TOTAL_ED)
    assert rewards.locked_ratio == LOCKED_RATIO
    assert (rewards.total_rewards, rewards.vanilla_individual_rewards, rewards.operational_cost) == (total, vanilla, opcost)
    assert (rewards.community_fund, rewards.individual_rewards_equilibrium, rewards.ppf) == (cf, ire, ppf)
    assert rewards.staking_matched_reserved == 0


def test_pending_snapshot_without_deposits():
    rewards = engine.octant_rewards(4, staking_proceeds=1000000, total_effective_deposit=0)
    assert rewards.locked_ratio == 0
    assert (rewards.total_rewards, rewards.vanilla_individual_rewards, rewards.operational_cost) == (700000, 0, 250000)
    assert (rewards.community_fund, rewards.ppf) == (50000, 350000)


def test_pending_snapshot_with_deposits():
    # §9.6.3: alice 100 GLM and bob 200 GLM, P = 1000000
    rewards = engine.octant_rewards(4, staking_proceeds=1000000, total_effective_deposit=300 * E18)
    budgets = engine.user_budgets(
        4, deposits=[(ALICE, 100 * E18), (BOB, 200 * E18)], total_effective_deposit=300 * E18,
        vanilla_individual_rewards=rewards.vanilla_individual_rewards, ppf=rewards.ppf,
    )
    assert budgets == [(ALICE, 58333), (BOB, 116666)]


# --- §9.4.2 / §9.4.3 pending and finalized octant rewards -----------------------------------------


def _mr(epoch, patrons):
    return engine.matched_rewards(
        epoch, staking_proceeds=ETH_PROCEEDS, locked_ratio=LOCKED_RATIO, total_rewards=TOTAL_REWARDS,
        vanilla_individual_rewards=VANILLA_INDIVIDUAL_REWARDS, patrons_rewards=patrons,
    )


FIXTURE = dict(staking_proceeds=ETH_PROCEEDS, operational_cost=OPERATIONAL_COST)


def test_pending_octant_rewards_epoch_1():
    assert _mr(1, USER2_BUDGET) == 220119996834921768222
    assert _mr(1, 0) == MATCHED_REWARDS
    leftover = engine.leftover(1, **FIXTURE, community_fund=None, ppf=None, total_withdrawals=300000000000 + 0,
                               matched_rewards=_mr(1, USER2_BUDGET), used_matched_rewards=0)
    assert leftover == 321928766823288000000
    assert allocations_engine.epoch_leverage(220119996834921768222, USER1_BUDGET) == 144164.29856550877


def test_pending_octant_rewards_epoch_3():
    assert _mr(3, USER2_BUDGET) == MATCHED_REWARDS_AFTER_OVERHAUL
    leftover = engine.leftover(3, **FIXTURE, community_fund=COMMUNITY_FUND, ppf=PPF, total_withdrawals=300000000000,
                               matched_rewards=MATCHED_REWARDS_AFTER_OVERHAUL, used_matched_rewards=0)
    assert leftover == 282293485473756640672


def test_pending_octant_rewards_epoch_4_capped():
    result = allocations_engine.project_rewards(
        4, allocations=[allocation(ALICE, P0, USER1_BUDGET, Decimal("0.01"))], projects=PROJECTS,
        matched_rewards=MATCHED_REWARDS_AFTER_OVERHAUL,
    )
    assert result.rewards[0].matched_exact == Decimal("28169886827171803963.0")
    assert result.rewards_sum == 28171413696161041950
    assert result.used_matched_rewards == 28169886827171803963
    leftover = engine.leftover(
        4, **FIXTURE, community_fund=COMMUNITY_FUND, ppf=PPF, total_withdrawals=300000000000 + result.rewards_sum,
        matched_rewards=MATCHED_REWARDS_AFTER_OVERHAUL, used_matched_rewards=result.used_matched_rewards,
    )
    assert leftover == 366801619086282814574
    assert result.rewards_sum == 28171413696161041950  # donated_to_projects of a pending epoch


def test_finalized_octant_rewards():
    unused = engine.unused_matched_rewards(1, leftover=-31232, **FIXTURE, community_fund=None, ppf=None,
                                           total_withdrawals=1720114453692501248407)
    assert engine.donated_to_projects(matched_rewards=MATCHED_REWARDS, unused_matched_rewards=unused, allocations_sum=0) == MATCHED_REWARDS
    assert engine.donated_to_projects(matched_rewards=MATCHED_REWARDS_AFTER_OVERHAUL, unused_matched_rewards=0,
                                      allocations_sum=0) == MATCHED_REWARDS_AFTER_OVERHAUL
    assert allocations_engine.epoch_leverage(MATCHED_REWARDS, USER1_BUDGET) == 144160.63189897747
    unused = engine.unused_matched_rewards(
        4, leftover=-1437820967918744607735, **FIXTURE, community_fund=COMMUNITY_FUND, ppf=PPF,
        total_withdrawals=1720114453692501248407,
    )
    assert unused == 0
    assert engine.donated_to_projects(matched_rewards=MATCHED_REWARDS_AFTER_OVERHAUL, unused_matched_rewards=unused,
                                      allocations_sum=0) == MATCHED_REWARDS_AFTER_OVERHAUL


# --- §9.4.7 finalized snapshot math -----------------------------------------------------------------

CLAIMED = [(BOB, 200000000000), (ALICE, 100000000000)]


def _finalize(epoch, allocations):
    result = allocations_engine.project_rewards(epoch, allocations=allocations, projects=PROJECTS, matched_rewards=MATCHED_REWARDS)
    projects = [(r.address, r.allocated + r.matched, r.matched) for r in result.rewards if r.allocated > 0]
    claimed = CLAIMED if allocations else []
    total = engine.total_withdrawals(claimed_rewards_sum=sum(c for _, c in claimed), project_rewards_sum=result.rewards_sum)
    leftover = engine.leftover(
        epoch, **FIXTURE, community_fund=COMMUNITY_FUND, ppf=PPF, total_withdrawals=total,
        matched_rewards=MATCHED_REWARDS, used_matched_rewards=result.used_matched_rewards,
    )
    tree = withdrawals_engine.merkle_tree(claimed + [(address, amount) for address, amount, _ in projects])
    return projects, total, leftover, tree.root


def test_finalized_snapshot_epoch_1():
    projects, total, leftover, root = _finalize(1, [allocation(CAROL, P0, 100)])
    assert projects == [(P0, 220114398315501248507, MATCHED_REWARDS)]
    assert total == 220114398615501248507
    assert leftover == 101814368507786751493
    assert root == "0xe3cd8746f9df50db5c4cbc1962f3dcb0db4236bb06960593d36444a86e296b3c"


def test_finalized_snapshot_epoch_4():
    projects, total, leftover, root = _finalize(4, [allocation(CAROL, P0, 100, Decimal("0.01"))])
    assert projects == [(P0, 44022879663100249781, 44022879663100249681)]
    assert total == 44022879963100249781
    assert leftover == 414362124463057389617
    assert root == "0xb6bd0828b53f444a572c2da19f9f213a0e67109db91c2fbc458bbd42c4269775"


def test_finalized_snapshot_epoch_4_without_allocations():
    projects, total, leftover, root = _finalize(4, [])
    assert (projects, total, root) == ([], 0, None)
    assert leftover == 282293485773756640672 + MATCHED_REWARDS == 502407884089257889079


def test_finalized_simulation_leftover_can_be_negative():
    # §9.6.3 test_simulate_finalized_snapshot_success (v2 runs the default variants, so epoch 4 here)
    rewards = engine.octant_rewards(4, staking_proceeds=1000000, total_effective_deposit=5 * 10**26)
    assert (rewards.operational_cost, rewards.community_fund, rewards.ppf) == (250000, 50000, 0)
    matched = rewards.matched_rewards
    assert matched == 200000
    result = allocations_engine.project_rewards(
        4, allocations=[allocation(ALICE, P0, 1000000, Decimal("22.0")), allocation(BOB, P1, 1000000, Decimal("22.0"))],
        projects=PROJECTS[:6], matched_rewards=matched,
    )
    assert [(r.allocated, r.matched) for r in result.rewards[:2]] == [(1000000, 40000), (1000000, 40000)]
    total = engine.total_withdrawals(claimed_rewards_sum=0, project_rewards_sum=result.rewards_sum)
    assert total == 2080000
    leftover = engine.leftover(4, staking_proceeds=1000000, operational_cost=100000, community_fund=50000, ppf=25000,
                               total_withdrawals=total, matched_rewards=matched, used_matched_rewards=result.used_matched_rewards)
    assert leftover == -1122500


# --- §9.4.9 staking proceeds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "duration, expected",
    [(6220800, 749589041095890305024), (7776000, 936986301369862848512), (1000, 120497209538305408), (0, 0), (-5, 0)],
)
def test_estimated_staking_proceeds(duration, expected):
    assert engine.estimated_staking_proceeds(duration) == expected


TARGET = "0xba1951df0c0a52af23857c5ab48b4c43a57e7ed1"


def _tx(value, hash_, to=TARGET, **extra):
    return {"hash": hash_, "to": to, "value": str(value), "isError": "0", "functionName": "", **extra}


@pytest.mark.parametrize(
    "normal, internal, expected",
    [
        ([_tx(63731797601781525, "a"), _tx(52289789573601810, "b")],
         [_tx(3081369209350255, "c"), _tx(289676626681230680, "d")], 408779583065964270),
        ([_tx(63731797601781525, "a"), _tx(63731797601781525, "a")], [], 63731797601781525),
        ([_tx(63731797601781525, "a")], [_tx(99, "a")], 63731797601781525),
        ([_tx(63731797601781525, "a"), _tx(5, "b", isError="1")], [], 63731797601781525),
        ([_tx(63731797601781525, "a"), _tx(5, "b", to="0x1111111111111111111111111111111111111111")], [], 63731797601781525),
        ([_tx(63731797601781525, "a"), _tx(5, "b", functionName="transfer(address,uint256)")], [], 63731797601781525),
        ([_tx(63731797601781525, "a", to=TARGET.upper().replace("0X", "0x"))], [], 63731797601781525),
        ([_tx(10000000000000000000123, "a")], [_tx(20000000000000000000345, "b")], 30000000000000000000468),
    ],
)
def test_mev_proceeds(normal, internal, expected):
    assert engine.mev_proceeds(normal, internal, withdrawals_target=TARGET) == expected


@pytest.mark.parametrize(
    "amounts, expected",
    [
        ([(1, 1498810), (2, 1490162)], 2988972000000000),
        ([(1, 1498810), (2, 1490162), (2, 1490162)], 2988972000000000),
        ([(i, 1000000000) for i in range(1000)], 1000000000000000000000),
        ([(1, 32000000123), (2, 20000)], 20123000000000),
    ],
)
def test_withdrawals_proceeds(amounts, expected):
    withdrawals = [{"withdrawalIndex": str(index), "amount": str(amount)} for index, amount in amounts]
    assert engine.withdrawals_proceeds(withdrawals) == expected


def test_mainnet_staking_proceeds():
    from eth_utils import to_wei

    assert engine.eth_float_to_wei(0.077902794919848902) == 77902794919848900 == to_wei(0.077902794919848902, "ether")
    proceeds = engine.mainnet_staking_proceeds(
        normal_txs=[_tx(63731797601781525, "a")], internal_txs=[_tx(3081369209350255, "b")],
        withdrawals=[{"withdrawalIndex": "1", "amount": "1498810"}], block_rewards_eth=0.077902794919848902,
        withdrawals_target=TARGET,
    )
    assert proceeds == 146214771730980680


# --- §9.5.10 / §9.5.11 / §9.6.1 patrons and user rewards -------------------------------------------


def test_patrons_at_the_end_of_the_allocation_window():
    toggles = [
        {"user": ALICE, "enabled": True, "created_at": 300},
        {"user": BOB, "enabled": True, "created_at": 2499},
        {"user": CAROL, "enabled": True, "created_at": 2501},
    ]
    assert engine.patrons(toggles, at=2500) == [BOB, ALICE]
    assert engine.patrons(toggles, at=3500) == [CAROL, BOB, ALICE]
    toggles.append({"user": ALICE, "enabled": False, "created_at": 3000})
    assert engine.patrons(toggles, at=2500) == [BOB, ALICE]
    assert engine.patrons(toggles, at=3500) == [CAROL, BOB]
    assert engine.patrons(toggles, at=2501) == [CAROL, BOB, ALICE]  # created_at <= the finalized timestamp


def test_patrons_rewards():
    patrons = engine.patrons([{"user": ALICE, "enabled": True, "created_at": 300},
                              {"user": BOB, "enabled": True, "created_at": 300}], at=2500)
    assert engine.patrons_rewards({ALICE: 100000000000, BOB: 200000000000}, patrons) == 300000000000
    assert engine.patrons_rewards({ALICE: 100000000000}, patrons) == 100000000000


def test_claimed_rewards():
    budgets = {ALICE: USER1_BUDGET, BOB: USER2_BUDGET, CAROL: USER3_BUDGET}
    claimed = engine.claimed_rewards(budgets, {ALICE: 100000000000, BOB: 200000000000})
    assert claimed == [(ALICE, 1526768989237987), (BOB, 5598319420519815)]
    assert sum(amount for _, amount in claimed) == 7125088409757802
    assert engine.claimed_rewards(budgets, {ALICE: USER1_BUDGET}) == []
    assert engine.claimed_rewards(budgets, {ALICE: 0}) == [(ALICE, USER1_BUDGET)]


def test_unused_rewards():
    budgets = {ALICE: USER1_BUDGET, BOB: USER2_BUDGET, CAROL: USER3_BUDGET}
    assert engine.unused_rewards(budgets, donors=[ALICE], patron_addresses=[BOB]) == ([CAROL], USER3_BUDGET)
    budgets = {"alice": 100, "bob": 200, "charlie": 300, "dave": 400}
    patrons = engine.patrons([{"user": "bob", "enabled": True, "created_at": 1500}], at=2500)
    assert engine.unused_rewards(budgets, donors=["alice"], patron_addresses=patrons) == (["charlie", "dave"], 700)


def test_engine_leaves_the_global_decimal_context_alone():
    context = getcontext()
    before = (context.prec, context.rounding)
    context.prec = 5
    try:
        assert engine.budget_with_ppf(USER1_ED, TOTAL_ED, VANILLA_INDIVIDUAL_REWARDS, PPF) == 1819523568520052
        assert getcontext().prec == 5
    finally:
        context.prec = before[0]
