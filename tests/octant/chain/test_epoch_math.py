import pytest

from octant.chain import epoch_math as em

PROPS = [em.EpochProps(1, 0, 1000, 100, 30)]


@pytest.mark.parametrize(
    "now, current, pending, finalized, window",
    [
        (999, 0, None, 0, False),  # before start: the contract reverts
        (1000, 1, None, 0, False),
        (1099, 1, None, 0, False),  # epoch 1 never has an open window
        (1100, 2, 1, 0, True),  # window of epoch 1 opens at its end (inclusive)
        (1130, 2, 1, 0, True),  # ...and the comparison is inclusive at the far end too
        (1131, 2, None, 1, False),
        (1200, 3, 2, 1, True),
        (1231, 3, None, 2, False),
    ],
)
def test_contract_epoch_functions(now, current, pending, finalized, window):
    assert em.current_epoch(PROPS, now) == current
    assert em.pending_epoch(PROPS, now) == pending
    assert em.finalized_epoch(PROPS, now) == finalized
    assert em.is_decision_window_open(PROPS, now) is window


def test_epoch_timing():
    timing = em.epoch_timing(PROPS, 3)
    assert (timing.start, timing.end, timing.finalized_at) == (1200, 1300, 1330)


def test_set_props_applies_from_the_next_epoch_and_edits_on_a_second_call():
    props = em.set_props(PROPS, 1250, duration=50, decision_window=10)  # during epoch 3
    assert props == [em.EpochProps(1, 3, 1000, 100, 30), em.EpochProps(4, 0, 1300, 50, 10)]
    assert em.current_epoch(props, 1299) == 3
    assert em.current_epoch(props, 1300) == 4
    assert em.current_epoch(props, 1350) == 5
    assert em.epoch_timing(props, 5).start == 1350
    again = em.set_props(props, 1260, duration=60, decision_window=20)
    assert again == [em.EpochProps(1, 3, 1000, 100, 30), em.EpochProps(4, 0, 1300, 60, 20)]


@pytest.mark.parametrize("kwargs", [dict(start=-1, duration=10, decision_window=1),
                                    dict(start=0, duration=0, decision_window=0),
                                    dict(start=0, duration=10, decision_window=11)])
def test_validate_rejects_bad_schedules(kwargs):
    with pytest.raises(ValueError):
        em.validate(**kwargs)
