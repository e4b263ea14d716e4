"""The deposits group's bodies byte for byte (keys, key order, strings, nulls) as their output serializers
render them, and the streamed budget rows equal to what their documenting serializer renders."""
import json
from decimal import Decimal

from model_bakery import baker

from deposits import selectors
from deposits.apis import AddressBudgetOut, budget_row
from deposits.models import Budget, Deposit, SablierStream
from epochs.models import PendingEpochSnapshot
from epochs.selectors import chain_view

from tests.fixtures.chain import DURATION, START, WINDOW
from tests.fixtures.window import EPOCH, USERS

ALICE, BOB, CAROL = USERS
NOBODY = "0x" + "12" * 20


def wire(body) -> bytes:
    """`body` as DRF's renderer writes it: compact, keys in the order given."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def test_budget_row_renders_as_its_serializer():
    for address, amount in [(ALICE.address, 0), (BOB.address, 10**18), (NOBODY, 2**256 - 1)]:
        row = budget_row(address, amount)
        rendered = AddressBudgetOut({"address": address, "amount": amount}).data
        assert list(row) == list(AddressBudgetOut().fields) == list(rendered)
        assert row == rendered
        assert [type(value) for value in row.values()] == [type(value) for value in rendered.values()] == [str, str]


def test_deposit_and_budget_bodies(api, window):  # noqa: F811
    snapshot = PendingEpochSnapshot.objects.get(epoch=EPOCH)
    assert api.get(f"/deposits/{EPOCH}/total_effective").content == wire(
        {"totalEffective": str(snapshot.total_effective_deposit)})
    ratio = Decimal(snapshot.locked_ratio)
    assert ratio != 0 and api.get(f"/deposits/{EPOCH}/locked_ratio").content == wire({"lockedRatio": str(ratio)})
    estimated = selectors.current_epoch_effective_deposits(view=chain_view()).total
    assert api.get("/deposits/total_effective/estimated").content == wire({"totalEffective": str(estimated)})

    stored = Deposit.objects.get(epoch=EPOCH, address=ALICE.address).effective_deposit
    assert api.get(f"/deposits/users/{ALICE.address}/{EPOCH}").content == wire({"effectiveDeposit": str(stored)})
    current = str(selectors.current_epoch_effective_deposit(address=ALICE.address, view=chain_view()))
    for path in (f"/deposits/users/{ALICE.address}/{EPOCH + 1}",
                 f"/deposits/users/{ALICE.address}/estimated_effective_deposit"):
        assert api.get(path).content == wire({"effectiveDeposit": current}), path

    budgets = list(Budget.objects.filter(epoch=EPOCH).order_by("address").values_list("address", "amount"))
    assert len(budgets) == 3
    response = api.get(f"/rewards/budgets/epoch/{EPOCH}")
    assert b"".join(response.streaming_content) == wire(
        {"budgets": [{"address": address, "amount": str(amount)} for address, amount in budgets]})
    alice_budget = dict(budgets)[ALICE.address]
    assert api.get(f"/rewards/budget/{ALICE.address}/epoch/{EPOCH}").content == wire({"budget": str(alice_budget)})
    none = api.get(f"/rewards/budget/{NOBODY}/epoch/{EPOCH}")
    assert none.status_code == 204 and none.content == b""
    assert api.get(f"/rewards/budget/{NOBODY}/upcoming").content == wire({"upcomingBudget": "0"})
    upcoming = api.get(f"/rewards/budget/{ALICE.address}/upcoming")
    assert upcoming.content == wire({"upcomingBudget": upcoming.json()["upcomingBudget"]})
    assert int(upcoming.json()["upcomingBudget"]) > 0


def test_estimated_budget_bodies(api, window):  # noqa: F811
    window.set_time(timestamp=START + EPOCH * DURATION + WINDOW + 1)
    assert api.post("/snapshots/finalized").status_code == 201  # an estimate needs a finalized epoch
    by_days = api.post("/rewards/estimated_budget/by_days", {"days": 30, "glmAmount": str(10**21)}, format="json")
    assert by_days.status_code == 200 and by_days.content == wire({"budget": by_days.json()["budget"]})
    by_epochs = api.post("/rewards/estimated_budget", {"numberOfEpochs": 2, "glmAmount": str(10**21)}, format="json")
    body = by_epochs.json()
    assert by_epochs.status_code == 200 and list(body) == ["budget", "matchedFunding"]
    assert by_epochs.content == wire({"budget": body["budget"], "matchedFunding": body["matchedFunding"]})
    assert all(isinstance(value, str) and value.isdigit() for value in body.values())


def test_sablier_stream_bodies(api, db):
    baker.make(SablierStream, stream_id="s-2", recipient=BOB.address, deposit_amount=5 * 10**18,
               intact_amount=0, start_time=START + 10, end_time=START + 60, cancelled=True)
    baker.make(SablierStream, stream_id="s-1", recipient=ALICE.address, deposit_amount=10**21,
               intact_amount=4 * 10**20, start_time=START, end_time=START + 10_000, cancelled=False)
    alice = {"amount": str(10**21), "dateAvailableForWithdrawal": str(START + 10_000), "isCancelled": False,
             "remainingAmount": str(4 * 10**20), "recipientAddress": ALICE.address}
    bob = {"amount": str(5 * 10**18), "dateAvailableForWithdrawal": str(START + 60), "isCancelled": True,
           "remainingAmount": "0", "recipientAddress": BOB.address}
    assert api.get(f"/user/{ALICE.address}/sablier-streams").content == wire({"sablierStreams": [alice]})
    assert api.get("/user/sablier-streams/all").content == wire({"sablierStreams": [alice, bob]})
    assert api.get(f"/user/{NOBODY}/sablier-streams").content == wire({"sablierStreams": []})


def test_estimated_budget_before_any_finalized_epoch_draws_no_matched_funding(api, scheduled_chain):
    """In epoch 1 no epoch is finalized yet, so no leverage exists: the budget is estimated and matched funding is 0 (v2
    answers an error here, which Octant's web client shows on its first page)."""
    scheduled_chain.set_time(timestamp=START + 10)
    by_epochs = api.post("/rewards/estimated_budget", {"numberOfEpochs": 2, "glmAmount": str(10**21)}, format="json")
    assert by_epochs.status_code == 200, by_epochs.content
    assert by_epochs.json()["matchedFunding"] == "0" and by_epochs.json()["budget"].isdigit()
