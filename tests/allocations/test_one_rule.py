"""Each allocation rule in one place (issue 12 §5): the write and the simulation apply the same aggregate
delta, the UQ is frozen by one rule, the writers lock rows in one order."""
from decimal import Decimal

from allocations import engine, funding, selectors, services
from allocations.models import ProjectFunding, UniquenessQuotient
from epochs.selectors import chain_view
from users.models import User

from tests.fixtures.window import EPOCH, PROJECTS, USERS, sign

ALICE, BOB, CAROL = USERS
P1, P2, P3 = PROJECTS


def post(api, body):
    return api.post("/allocations/allocate", body, format="json")


def _rows() -> dict[str, engine.ProjectAggregate]:
    return {p: engine.ProjectAggregate(p, a, Decimal(s)) for p, a, s in ProjectFunding.objects.filter(
        epoch=EPOCH).values_list("project_address", "allocated", "sqrt_sum")}


def _matched(rewards) -> dict[str, int]:
    return {r.address: r.matched for r in rewards}


def test_the_simulation_predicts_what_the_write_stores(api, window):
    assert post(api, sign(ALICE, [(P1, 10**18), (P2, 2 * 10**18)], 0)).status_code == 201
    for account, previous, new, nonce in [
        (BOB, [], [(P1, 3 * 10**18), (P3, 10**17)], 0),  # a first allocation
        (ALICE, [(P1, 10**18), (P2, 2 * 10**18)], [(P2, 10**18), (P3, 4 * 10**18)], 1),  # a replacement
    ]:
        uq = selectors.uq_for_simulation(epoch=EPOCH, address=account.address)
        now = chain_view().now
        simulated = selectors.simulate_allocation(epoch=EPOCH, previous=previous, new=new, uq=uq,
                                                  matched=selectors.estimated_matched_rewards(epoch=EPOCH, now=now))
        expected_rows = engine.apply_allocation_change(_rows(), removed=previous, added=new, uq=uq)
        assert post(api, sign(account, new, nonce)).status_code == 201
        assert _rows() == expected_rows  # the stored aggregates are the engine's delta, to the last digit
        assert _matched(selectors.estimated_project_rewards(epoch=EPOCH, now=now).rewards) == _matched(
            simulated.rewards)


def test_the_uq_is_the_frozen_one_else_the_passport_s(api, window):
    # ALICE's passport gives 1.0 (score 20), BOB's 0.01 (score 1)
    assert selectors.uq_or_current("0.2", address=ALICE.address) == Decimal("0.2")
    assert selectors.uq_or_current(None, address=ALICE.address) == Decimal("1.0")
    assert selectors.uq_for_simulation(epoch=EPOCH, address=BOB.address) == Decimal("0.01")
    assert post(api, sign(BOB, [(P1, 10**17)], 0)).status_code == 201
    window.set_passport(BOB.address, "30")  # a later passport does not change the frozen UQ
    assert selectors.uq_for_simulation(epoch=EPOCH, address=BOB.address) == Decimal("0.01")
    assert post(api, sign(BOB, [(P2, 10**17)], 1)).status_code == 201
    assert list(UniquenessQuotient.objects.values_list("user__address", "score")) == [(BOB.address, "0.01")]


def test_revoking_locks_the_user_first_and_creates_nobody(window):
    stranger = "0x4444444444444444444444444444444444444444"
    view = chain_view()
    assert services.allocations_revoke(address=stranger, epoch=EPOCH, view=view) == 0
    assert not User.objects.filter(address=stranger).exists()
    assert services.allocations_revoke(address=CAROL.address, epoch=EPOCH, view=view) == 0  # a user without allocations


def test_project_rows_are_locked_in_address_order(api, window):
    assert post(api, sign(ALICE, [(P3, 1), (P1, 1), (P2, 1)], 0)).status_code == 201
    assert list(funding.lock_projects(epoch=EPOCH, projects=[P3, P1, P2, P1])) == [P1, P2, P3]


def test_the_donor_rows_and_totals_each_write_keeps_equal_the_rebuild(api, window):
    """The funding store's one write keeps a row per donor (allocated, claimed = budget - allocated when
    positive, first allocation) and the epoch's Σ claimed, through allocations, a replacement and a
    withdrawal, equal to what `donor_funding_rebuild` recomputes from the live allocations."""
    from allocations.models import Allocation, DonorFunding, EpochFunding
    from deposits.selectors import budget_of

    assert post(api, sign(ALICE, [(P1, 10**18), (P2, 2 * 10**18)], 0)).status_code == 201
    assert post(api, sign(BOB, [(P1, 3 * 10**18)], 0)).status_code == 201
    assert post(api, sign(ALICE, [(P3, 10**17)], 1)).status_code == 201  # replaced
    assert post(api, sign(CAROL, [(P2, 10**17)], 0)).status_code == 201
    withdrawn = services.allocations_revoke(address=CAROL.address, epoch=EPOCH, view=chain_view())
    assert withdrawn == 1  # no row left

    def kept():
        return (list(DonorFunding.objects.filter(epoch=EPOCH).order_by("first_allocation_id").values_list(
            "address", "allocated", "claimed", "first_allocation_id")),
            EpochFunding.objects.get(epoch=EPOCH).claimed)

    first = {a: Allocation.objects.filter(user__address=a, deleted_at__isnull=True).order_by("id")[0].id
             for a in (ALICE.address, BOB.address)}
    donors = [(BOB.address, 3 * 10**18), (ALICE.address, 10**17)]
    claimed = [budget_of(epoch=EPOCH, address=a) - amount for a, amount in donors]
    assert kept() == ([(a, amount, c, first[a]) for (a, amount), c in zip(donors, claimed)], sum(claimed))
    before = kept()
    assert funding.donor_funding_rebuild(epoch=EPOCH) == 2
    assert kept() == before
