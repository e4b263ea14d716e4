import json

from model_bakery import baker

from allocations.models import AllocationRequest
from deposits.models import Budget, DepositEvent
from lifecycle.tasks import epochs_tick_task
from octant.chain.models import IndexedWithdrawal
from users.models import PatronEvent

from tests.fixtures.chain import DURATION, START, WINDOW, sync
from tests.fixtures.window import EPOCH, PROJECTS, USERS, sign

ALICE, BOB, CAROL = USERS


def test_history_merges_locks_allocations_and_patron_donations(api, window):  # noqa: F811
    window.set_time(timestamp=START + EPOCH * DURATION + 10)
    window.unlock(ALICE.address, 10**18)
    sync()
    window.set_time(timestamp=START + EPOCH * DURATION + 20)
    assert api.post("/allocations/allocate", sign(ALICE, [(PROJECTS[0], 10**18)], 0), format="json").status_code == 201
    body = api.get(f"/history/{ALICE.address}").json()
    assert [(i["type"], i["timestamp"]) for i in body["history"]] == [
        ("allocation", str(START + EPOCH * DURATION + 20)), ("unlock", str(START + EPOCH * DURATION + 10)),
        ("lock", str(START + 1))]
    allocation = body["history"][0]["eventData"]
    assert allocation["epoch"] == EPOCH and allocation["allocations"] == [
        {"projectAddress": PROJECTS[0], "amount": str(10**18)}]
    assert allocation["amount"] is None and float(allocation["leverage"]) >= 0
    assert body["nextCursor"] is None

    PatronEvent.objects.create(address=CAROL.address, enabled=True, timestamp=START + EPOCH * DURATION + 30)
    window.set_time(timestamp=START + EPOCH * DURATION + WINDOW + 1)
    assert epochs_tick_task.delay().get()["finalizedSnapshot"] == EPOCH
    [donation, lock] = api.get(f"/history/{CAROL.address}").json()["history"]
    assert donation["type"] == "patron_mode_donation" and donation["eventData"]["epoch"] == EPOCH
    assert donation["timestamp"] == str(START + EPOCH * DURATION + WINDOW)
    assert lock["type"] == "lock"


def test_history_pages_with_a_cursor(api, window):  # noqa: F811
    for step in range(5):
        window.set_time(timestamp=START + EPOCH * DURATION + 10 + step // 2)  # pairs share a timestamp
        window.lock(BOB.address, 10**18)
    sync()
    everything = api.get(f"/history/{BOB.address}").json()["history"]
    assert len(everything) == 6
    seen, cursor = [], None
    while True:
        body = api.get(f"/history/{BOB.address}", {"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += body["history"]
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert seen == everything
    assert api.get(f"/history/{BOB.address}", {"cursor": "%%%"}).status_code == 400
    assert api.get(f"/history/{BOB.address}", {"limit": 0}).status_code == 400


def wire(body) -> bytes:
    """`body` as DRF's renderer writes it: compact, keys in the order given."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def event(kind, timestamp, *, amount=None, tx=None, epoch=None, edited=None, leverage=None, allocations=None):
    return {"type": kind, "timestamp": str(timestamp), "eventData": {
        "amount": amount, "transactionHash": tx, "epoch": epoch, "isManuallyEdited": edited, "leverage": leverage,
        "allocations": allocations}}


def test_history_body(api, window):  # noqa: F811
    window.set_time(timestamp=START + EPOCH * DURATION + 10)
    window.unlock(ALICE.address, 10**18)
    sync()
    window.set_time(timestamp=START + EPOCH * DURATION + 20)
    allocation = sign(ALICE, [(PROJECTS[1], 3 * 10**17), (PROJECTS[0], 10**18)], 0)
    assert api.post("/allocations/allocate", allocation, format="json").status_code == 201
    request = AllocationRequest.objects.get(user__address=ALICE.address)
    lock, unlock = DepositEvent.objects.filter(address=ALICE.address).order_by("timestamp")
    expected = [
        event("allocation", START + EPOCH * DURATION + 20, epoch=EPOCH, edited=False, leverage=str(request.leverage),
              allocations=[{"projectAddress": PROJECTS[1], "amount": str(3 * 10**17)},
                           {"projectAddress": PROJECTS[0], "amount": str(10**18)}]),
        event("unlock", unlock.timestamp, amount=str(10**18), tx=unlock.transaction_hash or None),
        event("lock", lock.timestamp, amount=str(lock.amount), tx=lock.transaction_hash or None)]
    assert request.leverage is not None and unlock.timestamp == START + EPOCH * DURATION + 10
    assert api.get(f"/history/{ALICE.address}").content == wire({"history": expected, "nextCursor": None})
    first = api.get(f"/history/{ALICE.address}", {"limit": 1})
    cursor = first.json()["nextCursor"]
    assert isinstance(cursor, str) and first.content == wire({"history": expected[:1], "nextCursor": cursor})

    PatronEvent.objects.create(address=CAROL.address, enabled=True, timestamp=START + EPOCH * DURATION + 30)
    window.set_time(timestamp=START + EPOCH * DURATION + WINDOW + 1)
    assert epochs_tick_task.delay().get()["finalizedSnapshot"] == EPOCH
    budget = Budget.objects.get(epoch=EPOCH, address=CAROL.address).amount
    [lock] = DepositEvent.objects.filter(address=CAROL.address)
    assert api.get(f"/history/{CAROL.address}").content == wire({"history": [
        event("patron_mode_donation", START + EPOCH * DURATION + WINDOW, amount=str(budget), epoch=EPOCH),
        event("lock", lock.timestamp, amount=str(lock.amount), tx=lock.transaction_hash or None)],
        "nextCursor": None})
    assert api.get("/history/0x" + "12" * 20).content == wire({"history": [], "nextCursor": None})


def test_history_body_with_vault_withdrawals(api, db, settings):
    settings.CHAIN_BACKEND = "ethereum"  # its withdrawals are indexed rows: no node is asked
    address = ALICE.address
    baker.make(DepositEvent, key="lock-1", address=address, type="lock", amount=10**21, before=0, after=10**21,
               timestamp=START, transaction_hash="0x" + "a" * 64)
    for n, (epoch, amount) in enumerate([(1, 5 * 10**17), (2, 7)]):
        baker.make(IndexedWithdrawal, key=f"w-{n}", address=address, amount=amount, epoch=epoch,
                   timestamp=START + 1000 * (n + 1), block_number=n, transaction_hash=f"0x{n:064x}")
    assert api.get(f"/history/{address}").content == wire({"history": [
        event("withdrawal", START + 2000, amount="7", tx=f"0x{1:064x}", epoch=2),
        event("withdrawal", START + 1000, amount=str(5 * 10**17), tx=f"0x{0:064x}", epoch=1),
        event("lock", START, amount=str(10**21), tx="0x" + "a" * 64)], "nextCursor": None})
