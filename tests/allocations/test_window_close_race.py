"""The window's close and its last allocation serialize (issue 25, item 5), on real PostgreSQL with threads.

An allocation checks the window once, on the chain view its request read; the finalized snapshot reads the
allocations. Nothing kept an allocation from committing after the snapshot had read them: it was then live,
answered 201, and missing from the rewards the snapshot paid. Now both take the epoch totals' row lock and the
allocation checks the window again under it: an allocation that holds the lock first is in the snapshot,
one that comes after the snapshot is refused (403), and the snapshot always equals the live allocations."""
import threading

import pytest
from django.db import connection
from django.test import Client

from allocations import funding, services
from allocations.models import Allocation
from epochs.models import FinalizedEpochSnapshot
from lifecycle.snapshots import finalization_compute
from withdrawals.models import Reward

from tests.fixtures.chain import DURATION, START, WINDOW, take_finalized_snapshot
from tests.fixtures.window import EPOCH, PROJECTS, USERS, sign

ALICE, BOB, CAROL = USERS
P1, P2, P3 = PROJECTS
CLOSED = START + EPOCH * DURATION + WINDOW + 1


def _in_thread(target, results, key):
    def run():
        try:
            results[key] = target()
        finally:
            connection.close()
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _allocate_bob():
    return Client().post("/allocations/allocate", sign(BOB, [(P2, 3 * 10**15)], 0),
                         content_type="application/json").status_code


def _pause_after(monkeypatch, module, name: str) -> tuple[threading.Event, threading.Event]:
    """`module.name` made to wait once it has run: returns (reached, go), the events it sets and waits for."""
    reached, go = threading.Event(), threading.Event()
    real = getattr(module, name)

    def run_then_wait(*args, **kwargs):
        result = real(*args, **kwargs)
        reached.set()
        assert go.wait(30)
        return result

    monkeypatch.setattr(module, name, run_then_wait)
    return reached, go


def _snapshot_while_paused(window, reached, go) -> None:
    """Once the paused request has reached its pause: the window closes and the finalized snapshot is taken,
    then the request goes on."""
    assert reached.wait(30)
    window.set_time(timestamp=CLOSED)
    assert take_finalized_snapshot() == EPOCH
    go.set()


def _assert_the_snapshot_pays_the_live_allocations():
    snapshot = FinalizedEpochSnapshot.objects.get(epoch=EPOCH)
    now = finalization_compute(epoch=EPOCH)  # from the allocations live now
    assert snapshot.total_withdrawals == now.total_withdrawals
    assert sorted(Reward.objects.filter(epoch=EPOCH).values_list("address", "amount")) == now.leaves


@pytest.fixture
def allocated(window):
    assert Client().post("/allocations/allocate", sign(ALICE, [(P1, 10**15)], 0),
                         content_type="application/json").status_code == 201
    return window


@pytest.mark.django_db(transaction=True)
def test_an_allocation_that_comes_after_the_snapshot_is_refused(allocated, monkeypatch):
    """Bob's request read the window open and verified its signature; the window closes and the snapshot is
    taken before his transaction begins: he is refused, and the snapshot holds."""
    verified, go = _pause_after(monkeypatch, services, "verify_signed")
    results = {}
    thread = _in_thread(_allocate_bob, results, "bob")
    _snapshot_while_paused(allocated, verified, go)
    thread.join(30)
    assert results == {"bob": 403}
    assert not Allocation.objects.filter(user__address=BOB.address).exists()
    _assert_the_snapshot_pays_the_live_allocations()


@pytest.mark.django_db(transaction=True)
def test_the_snapshot_waits_for_an_allocation_that_holds_the_lock(allocated, monkeypatch):
    """Bob's transaction holds the epoch's totals (it is locking the projects) when the window closes: the
    snapshot waits for his commit and pays his allocation."""
    locked, release = _pause_after(monkeypatch, funding, "lock_projects")
    results = {}
    bob = _in_thread(_allocate_bob, results, "bob")
    assert locked.wait(30)
    allocated.set_time(timestamp=CLOSED)
    snapshot = _in_thread(take_finalized_snapshot, results, "snapshot")
    snapshot.join(1.0)
    assert snapshot.is_alive() and not FinalizedEpochSnapshot.objects.exists()  # waiting for Bob's lock
    release.set()
    bob.join(30)
    snapshot.join(30)
    assert results == {"bob": 201, "snapshot": EPOCH}
    assert Allocation.objects.filter(user__address=BOB.address, deleted_at__isnull=True).count() == 1
    _assert_the_snapshot_pays_the_live_allocations()


@pytest.mark.django_db(transaction=True)
def test_a_patron_toggle_that_comes_after_the_snapshot_is_refused(allocated, monkeypatch):
    """Patrons count as of the window's close: a toggle timed inside the window that would commit after
    the snapshot read the patrons is refused as well."""
    from allocations import services as allocation_services
    from octant.core.signatures import patron_mode_message

    from tests.users.test_users_apis import personal_sign

    verified, go = _pause_after(monkeypatch, allocation_services, "verify_patron_toggle")
    body = {"signature": personal_sign(CAROL, patron_mode_message(CAROL.address, enable=True))}
    results = {}
    thread = _in_thread(lambda: Client().patch(f"/user/{CAROL.address}/patron-mode", body,
                                               content_type="application/json").status_code, results, "carol")
    _snapshot_while_paused(allocated, verified, go)
    thread.join(30)
    assert results == {"carol": 403}
    snapshot = FinalizedEpochSnapshot.objects.get(epoch=EPOCH)
    assert snapshot.patrons_rewards == finalization_compute(epoch=EPOCH).patrons_rewards
