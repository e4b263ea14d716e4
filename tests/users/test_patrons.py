"""Patrons at the close of an allocation window, and the budget reads: one rule each (issue 12 §5)."""
from deposits import selectors as deposit_selectors
from epochs.models import Epoch
from octant.chain.epoch_math import EpochTiming
from users.models import PatronEvent
from users.selectors import patrons_at, window_patrons

from tests.fixtures.window import EPOCH, USERS

ALICE, BOB, CAROL = USERS
STRANGER = "0x4444444444444444444444444444444444444444"


def test_patrons_at_the_window_s_close(window):  # noqa: F811
    close = Epoch.objects.get(number=EPOCH).finalized_at
    PatronEvent.objects.create(address=ALICE.address, enabled=True, timestamp=close - 300)
    PatronEvent.objects.create(address=BOB.address, enabled=True, timestamp=close - 10)
    PatronEvent.objects.create(address=CAROL.address, enabled=True, timestamp=close + 1)  # after the close
    PatronEvent.objects.create(address=ALICE.address, enabled=False, timestamp=close + 5)
    assert window_patrons(epoch=EPOCH) == patrons_at(timestamp=close) == [BOB.address, ALICE.address]
    assert window_patrons(epoch=EPOCH, until=close - 100) == [ALICE.address]  # a window still open
    assert window_patrons(epoch=EPOCH, until=close + 100) == [BOB.address, ALICE.address]  # no later than the close
    assert deposit_selectors.epoch_patrons(epoch=EPOCH) == [BOB.address, ALICE.address]


def test_budget_reads(window):  # noqa: F811
    alice = deposit_selectors.budget_of(epoch=EPOCH, address=ALICE.address)
    bob = deposit_selectors.budget_of(epoch=EPOCH, address=BOB.address)
    assert alice > 0 and bob > 0 and deposit_selectors.budget_of(epoch=EPOCH, address=STRANGER) is None
    assert deposit_selectors.budgets_by_address(epoch=EPOCH)[ALICE.address] == alice
    assert deposit_selectors.patrons_rewards(epoch=EPOCH, patrons=[ALICE.address, BOB.address, STRANGER]) == alice + bob
    assert deposit_selectors.patrons_rewards(epoch=EPOCH, patrons=[]) == 0


def test_an_indexed_epoch_times_as_the_chain_s_timing(window):  # noqa: F811
    row = Epoch.objects.get(number=EPOCH)
    timing = EpochTiming(row.number, row.start, row.duration, row.decision_window)
    assert (row.end, row.finalized_at) == (timing.end, timing.finalized_at) == (
        row.start + row.duration, row.start + row.duration + row.decision_window)
