"""Sablier streams on the local chain (`chain stream ...`): the stream listings, and stream actions as
deposit events of source Sablier counted in effective deposits with the reference's rules."""
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from deposits import engine
from deposits.models import DepositEvent, SablierStream
from lifecycle.snapshots import pending_snapshot_take

from tests.fixtures.chain import DURATION, START

GLM = 10**18
DAVE = "0x1F4E9a8E5cC8d2E8a2f7b5b5E3f0F0F0A0a0A0a0"


def chain_cmd(*args) -> list[dict]:
    out = StringIO()
    call_command("chain", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


@pytest.fixture
def dave():
    from octant.core.addresses import checksum

    return checksum(DAVE.lower())


def test_stream_create_withdraw_cancel_and_listings(api, scheduled_chain, dave):
    scheduled_chain.set_time(timestamp=START + 100)
    created, status = chain_cmd("stream", "create", dave.lower(), str(1000 * GLM), "--duration", "10000")
    assert status["now"] == START + 100 and created["recipient"] == dave
    stream_id = created["streamId"]
    scheduled_chain.set_time(timestamp=START + 600)  # 5% streamed: 50 GLM withdrawable
    with pytest.raises(CommandError, match="50000000000000000000 is withdrawable"):
        chain_cmd("stream", "withdraw", stream_id, str(51 * GLM))
    chain_cmd("stream", "withdraw", stream_id, str(20 * GLM))
    scheduled_chain.set_time(timestamp=START + 1100)  # 10% streamed
    cancelled, _ = chain_cmd("stream", "cancel", stream_id)
    assert cancelled["intactAmount"] == str(80 * GLM) and cancelled["cancelled"] is True
    with pytest.raises(CommandError, match="cancelled already"):
        chain_cmd("stream", "cancel", stream_id)
    with pytest.raises(CommandError, match="No stream"):
        chain_cmd("stream", "withdraw", "nope", "1")
    chain_cmd("stream", "withdraw", stream_id, str(80 * GLM))  # the intact part stays the recipient's
    other, _ = chain_cmd("stream", "create", "0x" + "ab" * 20, str(5 * GLM), "--duration", "50")

    events = list(DepositEvent.objects.filter(address=dave).values_list("type", "amount", "before", "after", "source"))
    assert events == [("lock", 1000 * GLM, 0, 1000 * GLM, "sablier"),
                      ("unlock", 20 * GLM, 1000 * GLM, 980 * GLM, "sablier"),
                      ("unlock", 900 * GLM, 980 * GLM, 80 * GLM, "sablier"),  # Cancel: the refund
                      ("unlock", 80 * GLM, 80 * GLM, 0, "sablier")]
    mine = {"amount": str(1000 * GLM), "dateAvailableForWithdrawal": str(START + 100 + 10000), "isCancelled": True,
            "remainingAmount": "0", "recipientAddress": dave}
    assert api.get(f"/user/{dave.lower()}/sablier-streams").json() == {"sablierStreams": [mine]}
    everyone = api.get("/user/sablier-streams/all").json()["sablierStreams"]
    assert everyone[0] == mine and everyone[1]["recipientAddress"] == other["recipient"]
    assert everyone[1]["remainingAmount"] == str(5 * GLM) and everyone[1]["isCancelled"] is False
    assert api.get(f"/user/{'0x' + '12' * 20}/sablier-streams").json() == {"sablierStreams": []}
    assert api.get("/user/0xzz/sablier-streams").status_code == 400


def test_stream_counts_in_the_effective_deposit(api, scheduled_chain, dave):
    scheduled_chain.set_proceeds(1, 100 * GLM)
    scheduled_chain.set_time(timestamp=START + 100)
    stream = scheduled_chain.stream_create(dave, 1000 * GLM, duration=100_000)
    scheduled_chain.set_time(timestamp=START + 500)
    scheduled_chain.stream_withdraw(stream.stream_id, 3 * GLM)
    scheduled_chain.set_time(timestamp=START + DURATION + 1)
    assert pending_snapshot_take() == 1

    events = [{"type": "lock", "timestamp": START, "amount": 0, "before": 0},
              {"type": "lock", "timestamp": START + 100, "amount": 1000 * GLM, "before": 0},
              {"type": "unlock", "timestamp": START + 500, "amount": 3 * GLM, "before": 1000 * GLM}]
    expected = engine.cut_off(997 * GLM, engine.effective_deposit(events, START, START + DURATION, with_unlocks=True))
    assert expected > 0
    assert api.get(f"/deposits/users/{dave}/1").json() == {"effectiveDeposit": str(expected)}


def test_sablier_unlock_then_octant_lock_within_the_grace_period_is_a_transfer(api, scheduled_chain, dave):
    scheduled_chain.set_time(timestamp=START + 10)
    stream = scheduled_chain.stream_create(dave, 500 * GLM, duration=20)
    scheduled_chain.set_time(timestamp=START + 40)
    scheduled_chain.stream_withdraw(stream.stream_id, 500 * GLM)
    scheduled_chain.set_time(timestamp=START + 40 + 899)  # within 15 minutes: moved into Octant
    scheduled_chain.lock(dave, 500 * GLM)
    scheduled_chain.set_time(timestamp=START + DURATION + 1)
    assert pending_snapshot_take() == 1
    events = [{"type": "lock", "timestamp": START, "amount": 0, "before": 0},
              {"type": "lock", "timestamp": START + 10, "amount": 500 * GLM, "before": 0}]
    expected = engine.effective_deposit(events, START, START + DURATION, with_unlocks=True)
    assert api.get(f"/deposits/users/{dave}/1").json() == {"effectiveDeposit": str(expected)}
    assert SablierStream.objects.get().intact_amount == 0


ALICE_SABLIER = "0xC8ef823f4f154415Bc4931071F53c61B4F979152"  # math.md §9.0
SUBGRAPH_STREAM = {
    "id": "0xafb979d9afad1ad27c5eff4e27226e3ab9e5dcc9-11155111-42", "intactAmount": "0", "canceled": True,
    "endTime": "1729500000", "depositAmount": "10000000000000000000", "recipient": ALICE_SABLIER.lower(),
    "actions": [
        {"category": "Create", "addressA": "0x1", "addressB": ALICE_SABLIER.lower(), "timestamp": "1726833047",
         "amountA": "10000000000000000000", "amountB": None, "hash": "0xc1"},
        {"category": "Withdraw", "addressA": "0x1", "addressB": ALICE_SABLIER.lower(), "timestamp": "1729075199",
         "amountA": None, "amountB": "355443302891933020", "hash": "0xw1"},
        {"category": "Cancel", "addressA": "0x1", "addressB": ALICE_SABLIER.lower(), "timestamp": "1729076267",
         "amountA": "9644339802130898030", "amountB": "216894977168950", "hash": "0xca"},
        {"category": "Withdraw", "addressA": "0x1", "addressB": ALICE_SABLIER.lower(), "timestamp": "1729077035",
         "amountA": None, "amountB": "216894977168950", "hash": "0xw2"},
    ]}


def test_subgraph_streams_are_indexed_with_the_reference_vector(api, db):
    """math.md §9.5: the mocked stream plus Octant events (2200, +300), (3200, -200) in epoch 6 =
    [1000, 1729096199) give the reference's event list."""
    from deposits.selectors import epoch_events_by_user
    from deposits.services import sablier_streams_index

    DepositEvent.objects.create(key="o1", address=ALICE_SABLIER, type="lock", amount=300, before=0, after=300,
                                timestamp=2200)
    assert sablier_streams_index(streams=[SUBGRAPH_STREAM, {**SUBGRAPH_STREAM, "id": "x-1-190"}],
                                 excluded={190}) == 4
    DepositEvent.objects.create(key="o2", address=ALICE_SABLIER, type="unlock", amount=200, before=0, after=0,
                                timestamp=3200)  # indexed after the stream: the next run rebalances
    assert sablier_streams_index(streams=[SUBGRAPH_STREAM]) == 0  # idempotent
    events = epoch_events_by_user(epoch=6, start=1000, end=1729096199, address=ALICE_SABLIER)[ALICE_SABLIER]
    assert [(e["timestamp"], e["type"][0].upper(), e["amount"], e["before"], e["source"]) for e in events] == [
        (1000, "L", 0, 0, "octant"),
        (2200, "L", 300, 0, "octant"),
        (3200, "U", 200, 300, "octant"),
        (1726833047, "L", 10000000000000000000, 100, "sablier"),
        (1729075199, "U", 355443302891933020, 10000000000000000100, "sablier"),
        (1729076267, "U", 9644339802130898030, 9644556697108067080, "sablier"),
        (1729077035, "U", 216894977168950, 216894977169050, "sablier"),
    ]
    assert DepositEvent.objects.filter(address=ALICE_SABLIER).order_by("-timestamp").first().after == 100
    stream = SablierStream.objects.get()
    assert (stream.recipient, stream.cancelled, stream.intact_amount, stream.withdrawn_amount) == (
        ALICE_SABLIER, True, 0, 355443302891933020 + 216894977168950)
    assert api.get(f"/user/{ALICE_SABLIER}/sablier-streams").json() == {"sablierStreams": [{
        "amount": "10000000000000000000", "dateAvailableForWithdrawal": "1729500000", "isCancelled": True,
        "remainingAmount": "0", "recipientAddress": ALICE_SABLIER}]}
