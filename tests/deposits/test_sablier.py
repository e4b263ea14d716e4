"""Sablier streams on the local chain (`chain stream ...`): the stream listings, and stream actions as
deposit events of source Sablier counted in effective deposits with the reference's rules."""
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from deposits import engine
from deposits.models import DepositEvent, SablierStream
from epochs.services import pending_snapshot_take

from ..conftest import DURATION, START

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
