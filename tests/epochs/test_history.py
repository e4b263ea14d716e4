from epochs.tasks import epochs_tick
from users.models import PatronEvent

from ..allocations.conftest import EPOCH, PROJECTS, USERS, sign, window  # noqa: F401
from ..conftest import DURATION, START, WINDOW, sync

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
    assert epochs_tick.delay().get()["finalizedSnapshot"] == EPOCH
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
