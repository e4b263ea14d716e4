"""Aggregates are never assumed (issue 25, item 16): with live allocations but no totals row, or a donor or
project row missing (a bulk load that ran only part of the rebuild), the next allocation treated itself as
the epoch's first: the totals went silently wrong, or, for a change that lowered the donor's claim, the
request failed with a 500. Now what is missing is rebuilt first; `manage.py funding_rebuild` rebuilds every
aggregate of an epoch."""
import json

import pytest
from django.core.management import call_command

from allocations import engine, funding, selectors
from allocations.models import DonorFunding, EpochFunding, ProjectFunding
from lifecycle.snapshots import finalization_compute

from tests.fixtures.window import EPOCH, PROJECTS, USERS, sign
from tests.users.test_users_apis import personal_sign

ALICE, BOB, CAROL = USERS
P1, P2, P3 = PROJECTS


def post(api, body):
    return api.post("/allocations/allocate", body, format="json")


def _state() -> tuple:
    """Every aggregate of the epoch, versions and the rows of projects without allocations aside."""
    projects = sorted(ProjectFunding.objects.filter(epoch=EPOCH, first_allocation_id__isnull=False).values_list(
        "project_address", "allocated", "sqrt_sum", "first_allocation_id", "exact"))
    donors = sorted(DonorFunding.objects.filter(epoch=EPOCH).values_list(
        "address", "allocated", "claimed", "first_allocation_id"))
    return projects, donors, EpochFunding.objects.filter(epoch=EPOCH).values_list("claimed", flat=True).first()


def _assert_exact():
    """The aggregates as a rebuild from the allocations makes them, and the live figures as the full
    computation gives them. (A replacement leaves its projects' rows inexact until the exact rebuild that
    its commit queues: that rebuild runs first.)"""
    funding.project_funding_rebuild(epoch=EPOCH)
    kept = _state()
    funding.epoch_funding_rebuild(epoch=EPOCH)
    assert kept == _state()
    live = finalization_compute(epoch=EPOCH, from_aggregates=True)
    full = finalization_compute(epoch=EPOCH)
    assert (live.total_withdrawals, live.leftover, live.user_rewards) == (
        full.total_withdrawals, full.leftover, full.user_rewards)
    assert selectors.funding_aggregates(epoch=EPOCH) == engine.aggregate_allocations(
        selectors.allocations_with_uq(epoch=EPOCH))


@pytest.fixture
def allocated(api, window):
    assert post(api, sign(ALICE, [(P1, 10**15), (P2, 2 * 10**15)], 0)).status_code == 201
    assert post(api, sign(BOB, [(P2, 3 * 10**15)], 0)).status_code == 201
    return api


def test_a_new_donor_after_a_load_without_the_donor_rebuild(allocated):
    DonorFunding.objects.all().delete()  # the load ran project_funding_rebuild but not donor_funding_rebuild
    EpochFunding.objects.all().delete()
    assert post(allocated, sign(CAROL, [(P3, 10**15)], 0)).status_code == 201
    assert DonorFunding.objects.count() == 3  # Alice's and Bob's too
    _assert_exact()


def test_a_lower_claim_after_a_load_without_the_donor_rebuild_is_no_500(allocated):
    DonorFunding.objects.all().delete()
    EpochFunding.objects.all().delete()
    response = post(allocated, sign(ALICE, [(P1, 5 * 10**15)], 1))  # more allocated: a negative change of Σ claimed
    assert response.status_code == 201, response.json()
    _assert_exact()


def test_a_missing_donor_row_or_project_row_is_rebuilt(allocated):
    DonorFunding.objects.filter(address=ALICE.address).delete()  # the totals are there, Alice's row is not
    assert post(allocated, sign(ALICE, [(P1, 4 * 10**15)], 1)).status_code == 201
    _assert_exact()
    ProjectFunding.objects.filter(project_address=P2).delete()  # Bob's live allocation of P2 has no row
    assert post(allocated, sign(CAROL, [(P2, 10**15)], 0)).status_code == 201
    assert ProjectFunding.objects.get(project_address=P2).allocated == 4 * 10**15
    _assert_exact()


def test_a_patron_toggle_withdraws_on_rebuilt_aggregates(allocated):
    from octant.core.signatures import patron_mode_message

    DonorFunding.objects.all().delete()
    EpochFunding.objects.all().delete()
    response = allocated.patch(f"/user/{ALICE.address}/patron-mode",
                               {"signature": personal_sign(ALICE, patron_mode_message(ALICE.address, enable=True))},
                               format="json")
    assert response.status_code == 200, response.json()
    _assert_exact()


def test_the_command_rebuilds_every_aggregate_of_an_epoch(allocated, capsys):
    assert post(allocated, sign(ALICE, [(P3, 10**15)], 1)).status_code == 201  # a replacement: inexact rows
    funding.epoch_funding_rebuild(epoch=EPOCH)
    exact = _state()
    ProjectFunding.objects.all().delete()
    DonorFunding.objects.all().delete()
    EpochFunding.objects.all().delete()
    call_command("funding_rebuild", str(EPOCH))
    assert json.loads(capsys.readouterr().out) == {str(EPOCH): {"projects": 2, "donors": 2}}
    assert _state() == exact
    ProjectFunding.objects.filter(project_address=P1).update(allocated=7, exact=False)  # wrong rows are rebuilt too
    call_command("funding_rebuild")  # every epoch with allocations
    assert _state() == exact
