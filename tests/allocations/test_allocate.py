"""Signed allocations through HTTP, read back and checked against the engine."""
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from allocations import engine
from allocations.models import Allocation, AllocationRequest, ProjectFunding, UniquenessQuotient
from deposits.models import Budget
from epochs.models import PendingEpochSnapshot
from epochs.selectors import octant_rewards_of

from tests.fixtures.chain import DURATION, START, WINDOW
from tests.fixtures.window import EPOCH, PROJECTS, USERS, sign

ALICE, BOB, CAROL = USERS
P1, P2, P3 = PROJECTS


def budget(account) -> int:
    return Budget.objects.get(epoch=EPOCH, address=account.address).amount


def matched_rewards() -> int:
    return octant_rewards_of(PendingEpochSnapshot.objects.get(epoch=EPOCH)).matched_rewards


def post(api, body):
    return api.post("/allocations/allocate", body, format="json")


def test_allocations_read_back_equal_to_the_engine(api, window, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert post(api, sign(ALICE, [(P1, 10**18), (P2, 2 * 10**18)], 0)).status_code == 201
        assert post(api, sign(BOB, [(P1, 3 * 10**18), (P3, 0)], 0)).status_code == 201
        # Alice changes her mind: the first set is replaced and kept as history
        response = post(api, sign(ALICE, [(P2, 10**18), (P3, 4 * 10**18)], 1))
        assert response.status_code == 201 and response.content in (b"null", b"")

    assert Allocation.objects.filter(user__address=ALICE.address, deleted_at__isnull=False).count() == 2
    assert dict(UniquenessQuotient.objects.values_list("user__address", "score")) == {
        ALICE.address: "1.0", BOB.address: "0.01"}  # passport 20 >= 5; 1 < 5
    assert api.get(f"/allocations/users/{ALICE.address}/allocation_nonce").json() == {"allocationNonce": 2}
    assert api.get(f"/allocations/users/{CAROL.address}/allocation_nonce").json() == {"allocationNonce": 0}
    assert api.get(f"/allocations/user/{ALICE.address}/epoch/{EPOCH}").json() == {
        "allocations": [{"address": P2, "amount": str(10**18)}, {"address": P3, "amount": str(4 * 10**18)}],
        "isManuallyEdited": False}
    assert api.get(f"/allocations/project/{P3}/epoch/{EPOCH}").json() == [
        {"address": BOB.address, "amount": "0"}, {"address": ALICE.address, "amount": str(4 * 10**18)}]
    assert api.get(f"/allocations/donors/{EPOCH}").json() == {"donors": sorted([ALICE.address, BOB.address])}
    assert len(api.get(f"/allocations/epoch/{EPOCH}").json()["allocations"]) == 3
    assert len(api.get(f"/allocations/epoch/{EPOCH}?includeZeroAllocations=true").json()["allocations"]) == 4

    live = [{"donor": BOB.address, "project": P1, "amount": 3 * 10**18, "uq": Decimal("0.01")},
            {"donor": BOB.address, "project": P3, "amount": 0, "uq": Decimal("0.01")},
            {"donor": ALICE.address, "project": P2, "amount": 10**18, "uq": Decimal("1.0")},
            {"donor": ALICE.address, "project": P3, "amount": 4 * 10**18, "uq": Decimal("1.0")}]
    expected = engine.project_rewards(EPOCH, allocations=live, projects=PROJECTS, matched_rewards=matched_rewards())
    body = api.get("/rewards/projects/estimated").json()
    in_list_order = sorted(expected.rewards, key=lambda r: PROJECTS.index(r.address))  # as v2 lists them
    assert body == {"rewards": [{"address": r.address, "allocated": str(r.allocated), "matched": str(r.matched)}
                                for r in in_list_order]}
    assert sum(int(r["matched"]) for r in body["rewards"]) > 0
    assert not ProjectFunding.objects.filter(exact=False).exists()  # rebuilt after the replacement
    assert api.get(f"/rewards/leverage/{EPOCH}").json() == {"leverage": expected.leverage}
    assert api.get(f"/rewards/threshold/{EPOCH}").json() == {"threshold": None}

    request = AllocationRequest.objects.get(user__address=ALICE.address, nonce=1)
    others = [a for a in live if a["donor"] != ALICE.address]
    before = engine.project_rewards(EPOCH, allocations=others, projects=PROJECTS, matched_rewards=matched_rewards())
    assert request.leverage == engine.individual_leverage(
        before={r.address: r.matched for r in before.rewards},
        after={r.address: r.matched for r in expected.rewards},
        new_projects=[P2, P3], new_amount=5 * 10**18)


def test_leverage_simulation_stores_nothing(api, window):
    response = api.post(f"/allocations/leverage/{CAROL.address}",
                        {"allocations": [{"proposalAddress": P1, "amount": str(10**18)}]}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["threshold"] is None and float(body["leverage"]) > 0
    assert [m["address"] for m in body["matched"]] == sorted(PROJECTS)
    assert not Allocation.objects.exists() and not UniquenessQuotient.objects.exists()


@pytest.mark.parametrize("make_body, status, message", [
    (lambda: sign(ALICE, [], 0), 400, "Passed empty or zeroed allocations"),
    (lambda: sign(ALICE, [(P1, 1)], 5), 400,
     "Attempt to use wrong value of nonce (5 instead of 0) when signing allocations"),
    (lambda: sign(ALICE, [(P1, 10**40)], 0), 400, "You cannot allocate more funds than your rewards budget."),
    (lambda: sign(ALICE, [(ALICE.address, 1)], 0), 400, "The following projects are not valid: {'%s'}" % ALICE.address),
    (lambda: sign(ALICE, [(P1, 1), (P1, 2)], 0), 400,
     f"The following projects are duplicated in the payload: ['{P1}', '{P1}']"),
    (lambda: sign(ALICE, [(P2, 1), (P1, 1), (P2, 2), (P3, 1), (P2, 3)], 0), 400,  # every occurrence, in order
     f"The following projects are duplicated in the payload: ['{P2}', '{P2}', '{P2}']"),
    (lambda: {**sign(ALICE, [(P1, 1)], 0), "signature": sign(BOB, [(P1, 1)], 0)["signature"]}, 400, None),
    (lambda: {**sign(ALICE, [(P1, 1)], 0), "signature": "0x1234"}, 400, None),
])
def test_refusals(api, window, make_body, status, message):
    response = post(api, make_body())
    assert response.status_code == status
    if message:
        assert response.json() == {"message": message}
    else:
        assert response.json()["message"].startswith("Given signature")
    assert not Allocation.objects.exists() and not AllocationRequest.objects.exists()


def test_budget_not_found_for_a_stranger(api, window):
    from eth_account import Account

    stranger = Account.from_key(b"\x09" * 32)
    response = post(api, sign(stranger, [(P1, 1)], 0))
    assert response.status_code == 404
    assert response.json() == {"message": f"User {stranger.address} does not have a budget for epoch {EPOCH}"}


def test_bad_input_is_a_clear_400(api, window):
    body = sign(ALICE, [(P1, 1)], 0)
    body["payload"]["allocations"][0]["amount"] = "-5"
    response = post(api, body)
    assert response.status_code == 400
    assert "amount" in response.json()["message"] and response.json()["errors"]
    response = post(api, {"userAddress": "nope"})
    assert response.status_code == 400 and set(response.json()["errors"]) >= {"userAddress", "payload"}


def test_window_closed_is_403(api, window):
    window.set_time(timestamp=START + 4 * DURATION + WINDOW + 1)
    response = post(api, sign(ALICE, [(P1, 1)], 0))
    assert response.status_code == 403
    assert response.json() == {"message": "This action is available only during the allocation window."}
    assert api.get("/rewards/projects/estimated").status_code == 403


def test_patron_cannot_allocate(api, window):
    from users.models import PatronEvent

    PatronEvent.objects.create(address=ALICE.address, enabled=True, timestamp=START)
    response = post(api, sign(ALICE, [(P1, 1)], 0))
    assert response.status_code == 403
    assert response.json() == {"message": f"This action is not allowed in patron mode; user address: {ALICE.address}"}


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_cannot_share_a_nonce_or_overspend(window):
    whole = budget(ALICE)
    bodies = [sign(ALICE, [(P1, whole)], 0), sign(ALICE, [(P2, whole)], 0)]
    statuses, barrier = [], threading.Barrier(2)

    def run(body):
        barrier.wait()
        try:
            statuses.append(Client().post("/allocations/allocate", body, content_type="application/json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(statuses) == [201, 400]
    assert AllocationRequest.objects.count() == 1
    assert Allocation.objects.filter(deleted_at__isnull=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_donors_first_allocations_to_a_new_project_both_count(window, monkeypatch):
    """A project's aggregate row is created by its first allocation: a second donor's allocation that
    starts before that one commits waits for the row and adds to it (neither a unique violation, told as a
    wrong nonce, nor a lost contribution)."""
    from allocations import funding, selectors

    write, inserted, lingered, statuses, waited = funding.write, threading.Event(), threading.Event(), {}, []

    def write_then_linger(change, **kwargs):
        touched = write(change, **kwargs)
        if change.user.address == ALICE.address:  # Alice's new row of P1 stays uncommitted a while
            inserted.set()
            time.sleep(0.5)
            lingered.set()  # her transaction commits after this
        else:
            waited.append(lingered.is_set())  # Bob's locks were granted only once Alice's row was committed
        return touched

    def run(account):
        try:
            statuses[account.address] = Client().post("/allocations/allocate", sign(account, [(P1, 10**15)], 0),
                                                      content_type="application/json").status_code
        finally:
            connection.close()

    monkeypatch.setattr(funding, "write", write_then_linger)
    threads = [threading.Thread(target=run, args=(ALICE,)), threading.Thread(target=run, args=(BOB,))]
    threads[0].start()
    assert inserted.wait(30)
    threads[1].start()
    for t in threads:
        t.join(30)
    assert statuses == {ALICE.address: 201, BOB.address: 201}
    assert waited == [True]  # Bob waited for Alice's row
    row = ProjectFunding.objects.get(epoch=EPOCH, project_address=P1)
    assert (row.allocated, row.version) == (2 * 10**15, 2)
    expected = engine.aggregate_allocations(selectors.allocations_with_uq(epoch=EPOCH))
    assert selectors.funding_aggregates(epoch=EPOCH) == expected


def test_rebuild_reads_unlocked_and_skips_a_project_changed_meanwhile(api, window, monkeypatch):
    """The exact rebuild does not hold the aggregate's lock while it reads the allocations; when an
    allocation lands between its read and its write, that project is left for the next rebuild."""
    from allocations import funding, selectors

    assert post(api, sign(ALICE, [(P1, 10**18), (P2, 10**18)], 0)).status_code == 201
    assert post(api, sign(ALICE, [(P1, 10**18), (P3, 10**18)], 1)).status_code == 201  # replaces (no on-commit here)
    assert set(ProjectFunding.objects.filter(exact=False).values_list("project_address", flat=True)) == {P1, P2}

    read = selectors.project_allocation_terms

    def read_then_bob_allocates(*, epoch, project):
        rows = read(epoch=epoch, project=project)
        if project == P1:  # Bob's allocation commits after the rebuild read P1's allocations
            assert post(api, sign(BOB, [(P1, 10**18)], 0)).status_code == 201
        return rows

    monkeypatch.setattr(selectors, "project_allocation_terms", read_then_bob_allocates)
    assert funding.project_funding_rebuild(epoch=EPOCH) == 1  # P2 only
    assert list(ProjectFunding.objects.filter(exact=False).values_list("project_address", flat=True)) == [P1]
    monkeypatch.setattr(selectors, "project_allocation_terms", read)
    assert funding.project_funding_rebuild(epoch=EPOCH) == 1
    aggregates = {a.address: a for a in selectors.funding_aggregates(epoch=EPOCH)}
    expected = {a.address: a for a in engine.aggregate_allocations(selectors.allocations_with_uq(epoch=EPOCH))}
    assert aggregates == expected and aggregates[P1].allocated == 2 * 10**18


def test_queries_per_allocation(api, window, django_assert_num_queries):
    """An allocation costs a fixed number of statements, 9, the test's savepoint (2) included: the chain's
    view (1, the local chain's), the checks' reads (1), the nonce's move (1), the locked reads (1: patron
    toggles, the user's allocations, every project's aggregate and whether the aggregates are there), the
    epoch totals' lock with the window's re-check (1), the project locks (1) and the writes with the donor's
    row and the epoch totals (1). An EOA's signature is recovered without asking the chain
    whether the address is a contract. A first allocation reads the passport (2: the lists and stamps, the
    local chain's score) and inserts the user row instead of moving the nonce; a project's first
    allocation creates its aggregate row in the statement that locks the others."""
    assert post(api, sign(ALICE, [(P1, 10**15), (P2, 10**15)], 0)).status_code == 201
    many = sign(BOB, [(P1, 10**15), (P2, 10**15), (P3, 10**15)], 0)
    with django_assert_num_queries(11):
        assert post(api, many).status_code == 201
    body = sign(ALICE, [(P1, 10**15), (P3, 2 * 10**15)], 1)
    with django_assert_num_queries(9):
        assert post(api, body).status_code == 201
