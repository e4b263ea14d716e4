"""Effective deposits (docs/rewards.md §2), vectors of docs/rewards.md §9.3, §9.5.7-9.5.9 and §9.6.3."""
import random

import pytest

from deposits import engine
from tests.octant.core.math_constants import (
    ALICE,
    ALICE_SABLIER_LOCKING_ADDRESS,
    BOB,
    CAROL,
    E18,
    USER1_ED,
    USER2_ED,
    USER3_ED,
    signed_events,
)

DAVE = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


# --- §9.3.1 / §9.3.2 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind, after", [("lock", 300), ("unlock", 100)])
def test_event_after(kind, after):
    assert engine.event_after({"type": kind, "timestamp": 0, "amount": 100, "before": 200}) == after


def test_event_after_rejects_unknown_type():
    with pytest.raises(ValueError):
        engine.event_after({"type": "deposit", "timestamp": 0, "amount": 1, "before": 0})


@pytest.mark.parametrize(
    "locked, raw, expected",
    [(99 * E18, 50 * E18, 0), (150 * E18, 50 * E18, 50 * E18), (150 * E18, 9 * E18, 0),
     (100 * E18, 10 * E18, 10 * E18), (100 * E18 - 1, 10 * E18, 0), (100 * E18, 10 * E18 - 1, 0)],
)
def test_cut_off_10_glm_rule(locked, raw, expected):
    assert engine.cut_off(locked, raw) == expected


@pytest.mark.parametrize(
    "locked, raw, expected",
    [(99 * E18, 50 * E18, 0), (150 * E18, 99 * E18, 0), (150 * E18, 100 * E18, 100 * E18), (None, 100 * E18, 100 * E18)],
)
def test_cut_off_100_glm_variant(locked, raw, expected):
    assert engine.cut_off_100_glm(locked, raw) == expected


# --- §9.3.3 / §9.3.4 time weights ------------------------------------------------------------------

NINE = [(133, 100), (135, -90), (135, 1000), (173, -1000), (193, -9), (243, 1000), (243, 1000), (283, 1500), (303, -1)]
SIX = [(0, 5000), (100, 5000), (300, -2000), (500, 1000), (800, -3500), (1000, 6000)]
REPETITIVE = [(t, 1000) for t in range(100, 1001, 100)]
REPETITIVE_UNLOCK = [(100, 1000), (200, 1000), (300, 1000), (400, 2000), (500, -2000), (600, 1000), (700, 1000),
                     (800, 1000), (900, 1000), (1000, 1000)]

DEFAULT_WEIGHTS = [
    ([], (123, 323), []),
    ([(123, 100)], (123, 323), [(100, 200)]),
    ([(123, 100), (173, 120)], (123, 323), [(100, 50), (220, 150)]),
    ([(140, 100)], (123, 323), [(0, 17), (100, 183)]),
    ([(123, 100), (123, -100)], (123, 323), [(0, 200)]),
    ([(123, 100), (273, -100)], (123, 323), [(100, 150), (0, 50)]),
    (NINE, (123, 323), [(0, 10), (100, 2), (1010, 38), (10, 20), (1, 50), (2001, 40), (3501, 20), (3500, 20)]),
    (SIX, (0, 1000), [(5000, 100), (10000, 200), (8000, 200), (9000, 300), (5500, 200)]),
    (REPETITIVE, (0, 1000), [(1000 * i, 100) for i in range(10)]),
    (REPETITIVE_UNLOCK, (0, 1000), [(0, 100), (1000, 100), (2000, 100), (3000, 100), (5000, 100), (3000, 100),
                                    (4000, 100), (5000, 100), (6000, 100), (7000, 100)]),
]

WITHOUT_UNLOCKS_WEIGHTS = [
    ([], (123, 323), []),
    ([(123, 100)], (123, 323), [(100, 200)]),
    ([(123, 100), (173, -20)], (123, 323), [(80, 200)]),
    ([(140, 100)], (123, 323), [(0, 17), (100, 183)]),
    ([(123, 100), (123, -100)], (123, 323), [(0, 200)]),
    ([(123, 100), (223, -100)], (123, 323), [(0, 200)]),
    ([(123, 100), (273, -90)], (123, 323), [(10, 200)]),
    (NINE, (123, 323), [(0, 10), (2001, 40), (3500, 40), (1, 110)]),
    (SIX, (0, 1000), [(5000, 100), (5500, 900)]),
    (REPETITIVE, (0, 1000), [(1000 * i, 100) for i in range(10)]),
    (REPETITIVE_UNLOCK, (0, 1000), [(0, 100), (1000, 100), (2000, 100), (4000, 100), (5000, 100), (6000, 100),
                                    (7000, 100), (3000, 300)]),
]


@pytest.mark.parametrize("pairs, window, expected", DEFAULT_WEIGHTS)
def test_default_time_weights(pairs, window, expected):
    assert engine.time_weights(signed_events(pairs), *window) == expected


@pytest.mark.parametrize("pairs, window, expected", WITHOUT_UNLOCKS_WEIGHTS)
def test_time_weights_without_unlocks(pairs, window, expected):
    assert engine.time_weights_without_unlocks(signed_events(pairs), *window) == expected


@pytest.mark.parametrize("with_unlocks", [True, False])
@pytest.mark.parametrize("pairs, window, _", DEFAULT_WEIGHTS)
def test_effective_deposit_is_the_weighted_average_of_the_weights(pairs, window, _, with_unlocks):
    events = signed_events(pairs)
    weights = engine.time_weights if with_unlocks else engine.time_weights_without_unlocks
    expected = engine.weighted_average(weights(events, *window))
    assert engine.effective_deposit(events, *window, with_unlocks=with_unlocks) == expected


@pytest.mark.parametrize("seed", range(5))
def test_fast_effective_deposit_matches_segments_on_random_histories(seed):
    rng = random.Random(seed)
    start, end = 1000, 2000
    for _ in range(300):
        pairs, balance, timestamp = [], 0, rng.randrange(900, 1100)
        for _ in range(rng.randrange(0, 12)):
            timestamp += rng.choice([0, 0, 1, rng.randrange(1, 300)])
            amount = rng.randrange(0, 10**22) if balance == 0 or rng.random() < 0.6 else -rng.randrange(0, balance + 1)
            balance += amount
            pairs.append((min(timestamp, end), amount))
        events = signed_events(pairs)
        for with_unlocks, weights in [(True, engine.time_weights), (False, engine.time_weights_without_unlocks)]:
            expected = engine.weighted_average(weights(events, start, end))
            assert engine.effective_deposit(events, start, end, with_unlocks=with_unlocks) == expected


def test_weighted_average_rounds_to_28_digits_before_truncating():
    # exact quotient 10**21 + 0.9999999: 22 integer digits leave 6 decimals, so R28 carries into the integer
    segments = [(10**21 + 9_999_999, 1), (10**21, 10**7 - 1)]
    assert engine.weighted_average(segments) == 10**21 + 1
    # a fraction that survives the rounding is truncated
    assert engine.weighted_average([(10**21 + 9_999_990, 1), (10**21, 10**7 - 1)]) == 10**21
    assert engine.weighted_average([]) == 0


# --- §9.3.5 weighted-average EDs for users ---------------------------------------------------------

U1, U2 = ALICE, BOB
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
LOCKS_AND_UNLOCKS = [(123, 200 * E18), (223, -100 * E18), (273, 200 * E18)]
U2_EVENTS = [(123, 1000 * E18), (223, 100 * E18), (273, 2000 * E18)]


@pytest.mark.parametrize(
    "users, with_unlocks, cut_off, expected, total",
    [
        ({}, False, engine.cut_off, [], 0),
        ({U1: []}, False, engine.cut_off, [(U1, 0, 0)], 0),
        ({U1: [(123, 0)]}, False, engine.cut_off, [(U1, 0, 0)], 0),
        ({U1: [(123, 100 * E18), (173, -100 * E18)]}, False, engine.cut_off, [(U1, 0, 0)], 0),
        ({U1: [(123, 100 * E18)]}, False, engine.cut_off, [(U1, 100 * E18, 100 * E18)], 100 * E18),
        ({ZERO_ADDRESS: [(123, 100 * E18)]}, False, engine.cut_off, [(ZERO_ADDRESS, 100 * E18, 100 * E18)], 100 * E18),
        ({U1: [(123, 90 * E18)]}, False, engine.cut_off, [(U1, 0, 90 * E18)], 0),
        ({U1: [(313, 100 * E18)]}, False, engine.cut_off, [(U1, 0, 100 * E18)], 0),
        ({U1: [(123, 90 * E18)]}, False, engine.cut_off_100_glm, [(U1, 0, 90 * E18)], 0),
        ({U1: [(123, 1000 * E18), (313, -950 * E18)]}, True, engine.cut_off_100_glm,
         [(U1, 952500000000000000000, 50 * E18)], 952500000000000000000),
        ({U1: [(123, 100 * E18), (223, 200 * E18)]}, False, engine.cut_off, [(U1, 200 * E18, 300 * E18)], 200 * E18),
        ({U1: LOCKS_AND_UNLOCKS}, False, engine.cut_off, [(U1, 150 * E18, 300 * E18)], 150 * E18),
        ({U1: LOCKS_AND_UNLOCKS}, True, engine.cut_off, [(U1, 200 * E18, 300 * E18)], 200 * E18),
        ({U1: LOCKS_AND_UNLOCKS, U2: U2_EVENTS}, False, engine.cut_off,
         [(U1, 150 * E18, 300 * E18), (U2, 1550 * E18, 3100 * E18)], 1700 * E18),
        ({U1: LOCKS_AND_UNLOCKS, U2: U2_EVENTS}, True, engine.cut_off,
         [(U1, 200 * E18, 300 * E18), (U2, 1550 * E18, 3100 * E18)], 1750 * E18),
    ],
)
def test_effective_deposits_of_users(users, with_unlocks, cut_off, expected, total):
    events_by_user = {user: signed_events(pairs) for user, pairs in users.items()}
    result = engine.effective_deposits(events_by_user, 123, 323, with_unlocks=with_unlocks, cut_off=cut_off)
    assert [(d.address, d.effective_deposit, d.locked) for d in result.deposits] == expected
    assert result.total == total


def test_effective_deposits_accepts_pairs_and_iterates_lazily():
    pairs = [(U1, signed_events(LOCKS_AND_UNLOCKS)), (U2, signed_events(U2_EVENTS))]
    deposits = engine.iter_user_deposits(iter(pairs), 123, 323, with_unlocks=False)
    assert next(deposits) == engine.UserDeposit(U1, 150 * E18, 300 * E18)
    assert next(deposits) == engine.UserDeposit(U2, 1550 * E18, 3100 * E18)


def test_epoch_1_lock_mid_epoch():
    # §9.5.7: epoch 1 [1000, 2000], a lock of 100 GLM at 1500, with the carry-in event
    events = engine.user_epoch_events(
        [{"type": "lock", "timestamp": 1500, "amount": 100 * E18, "before": 0}], 1000, 2000, grace_period=86_400
    )
    result = engine.effective_deposits({ALICE: events}, 1000, 2000, with_unlocks=True)
    assert result.deposits == [engine.UserDeposit(ALICE, 50 * E18, 100 * E18)]
    assert result.total == 50 * E18


def test_events_before_the_epoch_give_negative_weights_that_are_kept():
    # §9.6.3 pending simulate: window [1000, 1800], a single carry-in-like event before the start
    alice = [{"type": "lock", "timestamp": 400, "amount": 0, "before": 100 * E18}]
    bob = [{"type": "lock", "timestamp": 500, "amount": 0, "before": 200 * E18}]
    assert engine.time_weights(alice, 1000, 1800) == [(100 * E18, -600), (100 * E18, 1400)]
    result = engine.effective_deposits({ALICE: alice, BOB: bob}, 1000, 1800, with_unlocks=False)
    assert [d.effective_deposit for d in result.deposits] == [100 * E18, 200 * E18]


# --- §9.5.8 event generation -------------------------------------------------------------------------


def _subgraph(user, pairs):
    return [dict(e, user=user, source="octant") for e in signed_events(pairs)]


SUBGRAPH = (
    _subgraph(ALICE, [(1000, 3300), (1300, USER1_ED - 3300), (2300, 100)])
    + _subgraph(BOB, [(1050, 400), (1200, -200), (1800, USER2_ED - 200), (2000, 300)])
    + _subgraph(DAVE, [(2200, 300), (3200, -300)])
)
EPOCHS = {1: (1000, 2000), 2: (2000, 3000), 3: (3000, 4000), 4: (4000, 5000)}


def _shape(events):
    return [(e["timestamp"], e["type"][0].upper(), e["amount"], e["before"]) for e in events]


@pytest.mark.parametrize(
    "epoch, opening, expected",
    [
        (1, {}, {
            ALICE: [(1000, "L", 0, 0), (1000, "L", 3300, 0), (1300, "L", USER1_ED - 3300, 3300)],
            BOB: [(1000, "L", 0, 0), (1050, "L", 400, 0), (1200, "U", 200, 400), (1800, "L", USER2_ED - 200, 200)],
        }),
        (2, {ALICE: USER1_ED, BOB: USER2_ED, CAROL: USER3_ED}, {
            ALICE: [(2000, "L", 0, USER1_ED), (2300, "L", 100, USER1_ED)],
            BOB: [(2000, "L", 0, USER2_ED), (2000, "L", 300, USER2_ED)],
            CAROL: [(2000, "L", 0, USER3_ED)],
            DAVE: [(2000, "L", 0, 0), (2200, "L", 300, 0)],
        }),
        (3, {DAVE: 300}, {DAVE: [(3000, "L", 0, 300), (3200, "U", 300, 300)]}),
    ],
)
def test_epoch_events(epoch, opening, expected):
    start, end = EPOCHS[epoch]
    by_user = engine.epoch_events_by_user(SUBGRAPH, start, end, opening_balances=opening, grace_period=86_400)
    assert {user: _shape(events) for user, events in by_user.items()} == expected
    for user in [ALICE, BOB, CAROL, DAVE]:
        own = [e for e in SUBGRAPH if e["user"] == user]
        per_user = engine.user_epoch_events(own, start, end, opening_balance=opening.get(user, 0), grace_period=86_400)
        assert _shape(per_user) == expected.get(user, [])


def test_per_user_events_are_empty_when_only_a_zero_carry_in_remains():
    dave = [e for e in SUBGRAPH if e["user"] == DAVE]
    assert engine.user_epoch_events(dave, 4000, 5000, opening_balance=0, grace_period=86_400) == []
    # the all-users path keeps every user with a previous Deposit row
    by_user = engine.epoch_events_by_user(dave, 4000, 5000, opening_balances={DAVE: 0}, grace_period=86_400)
    assert _shape(by_user[DAVE]) == [(4000, "L", 0, 0)]


def test_sablier_stream_events():
    stream = [
        {"category": "Create", "timestamp": 1726833047, "amountA": 10000000000000000000, "amountB": 0},
        {"category": "Withdraw", "timestamp": 1729075199, "amountA": 0, "amountB": 355443302891933020},
        {"category": "Cancel", "timestamp": 1729076267, "amountA": 9644339802130898030, "amountB": 216894977168950},
        {"category": "Withdraw", "timestamp": 1729077035, "amountA": 0, "amountB": 216894977168950},
    ]
    octant = _subgraph(ALICE_SABLIER_LOCKING_ADDRESS, [(2200, 300), (3200, -200)])
    events = octant + engine.sablier_events(stream, user=ALICE_SABLIER_LOCKING_ADDRESS)
    result = engine.user_epoch_events(events, 1000, 1729096199, grace_period=86_400)
    assert [(*_shape([e])[0], e["source"]) for e in result] == [
        (1000, "L", 0, 0, "octant"),
        (2200, "L", 300, 0, "octant"),
        (3200, "U", 200, 300, "octant"),
        (1726833047, "L", 10000000000000000000, 100, "sablier"),
        (1729075199, "U", 355443302891933020, 10000000000000000100, "sablier"),
        (1729076267, "U", 9644339802130898030, 9644556697108067080, "sablier"),
        (1729077035, "U", 216894977168950, 216894977169050, "sablier"),
    ]
    by_user = engine.epoch_events_by_user(events, 1000, 1729096199, opening_balances={}, grace_period=86_400)
    assert by_user[ALICE_SABLIER_LOCKING_ADDRESS] == result


def test_sablier_events_use_inclusive_end_and_octant_events_exclusive_end():
    octant = {"type": "lock", "timestamp": 2000, "amount": 5, "before": 0, "source": "octant"}
    sablier = {"type": "lock", "timestamp": 2000, "amount": 7, "before": 0, "source": "sablier"}
    assert _shape(engine.user_epoch_events([octant, sablier], 1000, 2000, grace_period=900)) == [
        (1000, "L", 0, 0), (2000, "L", 7, 0)]


def test_equal_timestamps_keep_the_reference_source_order():
    lock = {"type": "lock", "timestamp": 1500, "amount": 5, "before": 0, "source": "octant", "user": ALICE}
    unlock = {"type": "unlock", "timestamp": 1500, "amount": 3, "before": 5, "source": "octant", "user": ALICE}
    stream = {"type": "lock", "timestamp": 1500, "amount": 7, "before": 0, "source": "sablier", "user": ALICE}
    per_user = engine.user_epoch_events([stream, unlock, lock], 1000, 2000, grace_period=900)
    assert [e["amount"] for e in per_user] == [0, 5, 3, 7]
    all_users = engine.epoch_events_by_user([unlock, lock, stream], 1000, 2000, opening_balances={}, grace_period=900)
    assert [e["amount"] for e in all_users[ALICE]] == [0, 7, 5, 3]


# --- §9.5.9 balance unification and grace period ---------------------------------------------------


def _ev(timestamp, kind, amount, source="O", before=0):
    return {"type": {"L": "lock", "U": "unlock"}[kind], "timestamp": timestamp, "amount": amount,
            "before": before, "source": {"O": "octant", "S": "sablier"}[source]}


def _unify(events, grace=86_400):
    return engine.apply_grace_period(engine.unify_balances(events), grace_period=grace)


@pytest.mark.parametrize(
    "balance, events, expected",
    [
        (1000, [], [(0, "L", 0, 1000)]),
        (1000, [_ev(1, "L", 500), _ev(2, "L", 1000, "S")], [(0, "L", 0, 1000), (1, "L", 500, 1000), (2, "L", 1000, 1500)]),
        (1000, [_ev(1, "L", 1000, "S"), _ev(2, "L", 500)], [(0, "L", 0, 1000), (1, "L", 1000, 1000), (2, "L", 500, 2000)]),
        (500, [_ev(1, "L", 500), _ev(2, "L", 1000, "S"), _ev(3, "U", 400, "S"), _ev(4, "L", 200)],
         [(0, "L", 0, 500), (1, "L", 500, 500), (2, "L", 1000, 1000), (3, "U", 400, 2000), (4, "L", 200, 1600)]),
        (500, [_ev(1, "U", 500, "S"), _ev(2, "L", 500)], [(0, "L", 0, 500)]),
        (500, [_ev(1, "U", 500, "S"), _ev(2, "L", 400), _ev(3, "L", 100)],
         [(0, "L", 0, 500), (1, "U", 500, 500), (2, "L", 400, 0), (3, "L", 100, 400)]),
        (500, [_ev(1, "U", 400, "S"), _ev(2, "L", 500), _ev(3, "L", 100)],
         [(0, "L", 0, 500), (2, "L", 100, 500), (3, "L", 100, 600)]),
        (500, [_ev(1, "U", 400, "S"), _ev(86402, "L", 500), _ev(6, "L", 100)],
         [(0, "L", 0, 500), (1, "U", 400, 500), (86402, "L", 500, 100), (6, "L", 100, 600)]),
    ],
    ids=["S0", "S1", "S2", "S3", "G1", "G2", "G3", "G4"],
)
def test_unify_balances_and_grace_period(balance, events, expected):
    assert _shape(_unify([_ev(0, "L", 0, before=balance), *events])) == expected


def test_grace_period_is_exclusive():
    events = [_ev(0, "L", 0, before=500), _ev(100, "U", 400, "S"), _ev(1000, "L", 500)]
    assert len(_unify(events, grace=900)) == 3
    assert _shape(_unify(events, grace=901)) == [(0, "L", 0, 500), (1000, "L", 100, 500)]


def test_grace_period_corner_case():
    start = _ev(1737366360, "L", 0, before=10000 * E18)
    events = [
        start,
        _ev(1737382716, "U", 3000 * E18, "S"),
        _ev(1737382764, "U", 3000 * E18, "S"),
        _ev(1737382884, "L", 6000 * E18),
        _ev(1737382968, "U", 4000 * E18, "S"),
        _ev(1737383712, "L", 4000 * E18),
    ]
    result = _unify(events, grace=900)
    assert [(*_shape([e])[0], e["source"]) for e in result] == [
        (1737366360, "L", 0, 10000 * E18, "octant"),
        (1737382716, "U", 3000 * E18, 10000 * E18, "sablier"),
        (1737382884, "L", 3000 * E18, 7000 * E18, "octant"),
    ]
    assert result[-1]["after"] == 10000 * E18


def test_the_cut_off_rule_of_each_epoch_comes_from_its_variant():
    from dataclasses import replace

    from rewards.variants import CURRENT_RULES, DEFAULT, MAINNET_HISTORY, CutOff

    for epoch in range(0, 14):
        assert engine.cut_off_rule(epoch) is engine.cut_off
        assert engine.cut_off_rule(epoch, rules=CURRENT_RULES) is engine.cut_off
    hundred = {**MAINNET_HISTORY, 12: replace(DEFAULT, cut_off=CutOff.HUNDRED_GLM)}
    assert engine.cut_off_rule(11, rules=hundred) is engine.cut_off
    assert engine.cut_off_rule(12, rules=hundred) is engine.cut_off_100_glm
