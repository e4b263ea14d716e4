"""A Safe user (a contract wallet, 2 of 3 owners) through a whole epoch: terms of service and an
allocation signed off-chain by its owners and applied by the approve job, GLM streamed to it by Sablier
counted in its budget to the engine's wei, and its unallocated budget as a merkle leaf."""
import json
from io import StringIO

from django.conf import settings
from django.core.management import call_command

from deposits import engine as deposits_engine
from lifecycle.tasks import epochs_tick_task
from rewards import engine as rewards_engine
from multisig.models import MultisigSignature
from octant.chain.backends import get_chain
from octant.core.signatures import allocation_digest, tos_message
from rewards import engine as rewards_engine

from tests.fixtures.chain import DURATION, START, WINDOW, take_pending_snapshot
from tests.fixtures.safe import OWNERS, SAFE, safe_message_hash, tos_digest
from tests.fixtures.window import PROJECTS, USERS

GLM = ETH = 10**18
EPOCH = 4
STREAMED = 50_000 * GLM
ALICE_LOCK = 10_000 * GLM


def chain_cmd(*args) -> dict:
    out = StringIO()
    call_command("chain", *args, stdout=out)
    return json.loads(out.getvalue().splitlines()[0])


def test_safe_user_through_a_whole_epoch(api, db, safe_service, django_capture_on_commit_callbacks):
    chain = get_chain()
    chain.set_time(timestamp=START - 100)
    chain_cmd("configure", "--start", str(START), "--duration", str(DURATION), "--decision-window", str(WINDOW))
    for n in range(1, EPOCH + 2):
        chain_cmd("proceeds", str(n), str(100 * ETH))
        for project in PROJECTS:
            chain_cmd("project", "add", str(n), project)
    safe = chain_cmd("safe", "add", SAFE, "--owners", *[o.address for o in OWNERS], "--threshold", "2")
    assert safe["threshold"] == 2 and len(safe["owners"]) == 3
    chain_cmd("passport", SAFE, "20")

    # terms of service: submitted, confirmed by 2 of the 3 owners, applied by the approve job
    tos_hash = safe_message_hash(tos_digest(tos_message(SAFE)))
    safe_service.message(tos_hash)
    assert api.post(f"/multisig-signatures/pending/{SAFE}/type/tos", {"message": tos_message(SAFE)},
                    format="json", HTTP_X_REAL_IP="10.0.0.1").status_code == 201
    safe_service.message(tos_hash, OWNERS[:2])
    assert api.patch("/multisig-signatures/pending/approve").status_code == 204
    assert api.get(f"/user/{SAFE}/tos").json() == {"accepted": True}

    # an EOA locks in epoch 1; the Safe gets GLM streamed by Sablier early in the epoch
    chain.set_time(timestamp=START + 1)
    chain_cmd("lock", USERS[0].address, str(ALICE_LOCK))
    for n in range(1, EPOCH):
        chain.set_time(timestamp=START + n * DURATION + 1)
        assert take_pending_snapshot() == n
    stream_at = START + (EPOCH - 1) * DURATION + 10
    chain.set_time(timestamp=stream_at)
    stream = chain_cmd("stream", "create", SAFE, str(STREAMED), "--duration", str(20 * DURATION))
    assert api.get(f"/user/{SAFE}/sablier-streams").json()["sablierStreams"][0]["remainingAmount"] == str(STREAMED)
    assert stream["endTime"] == stream_at + 20 * DURATION
    chain.set_time(timestamp=START + EPOCH * DURATION + 1)
    assert epochs_tick_task.delay().get()["pendingSnapshot"] == EPOCH

    # the budget equals the engine's figure from the stream's events alone
    start, end = START + (EPOCH - 1) * DURATION, START + EPOCH * DURATION
    safe_events = [{"type": "lock", "timestamp": start, "amount": 0, "before": 0},
                   {"type": "lock", "timestamp": stream_at, "amount": STREAMED, "before": 0}]
    safe_ed = deposits_engine.cut_off(STREAMED, deposits_engine.effective_deposit(safe_events, start, end,
                                                                                  with_unlocks=False))
    alice_ed = deposits_engine.effective_deposit([{"type": "lock", "timestamp": start, "amount": 0,
                                                   "before": ALICE_LOCK}], start, end, with_unlocks=False)
    rewards = rewards_engine.octant_rewards(EPOCH, staking_proceeds=100 * ETH,
                                            total_effective_deposit=safe_ed + alice_ed)
    budget = rewards_engine.user_budget(EPOCH, effective_deposit=safe_ed, total_effective_deposit=safe_ed + alice_ed,
                                        vanilla_individual_rewards=rewards.vanilla_individual_rewards, ppf=rewards.ppf)
    assert 0 < safe_ed < STREAMED
    assert api.get(f"/rewards/budget/{SAFE}/epoch/{EPOCH}").json() == {"budget": str(budget)}

    # an allocation signed off-chain by two owners, applied by the approve job through allocate
    allocated = budget // 3
    message = {"payload": {"allocations": [{"proposalAddress": PROJECTS[1], "amount": str(allocated)}], "nonce": 0},
               "isManuallyEdited": False}
    msg_hash = safe_message_hash(allocation_digest(message["payload"], chain_id=settings.CHAIN_ID))
    safe_service.message(msg_hash)
    assert api.post(f"/multisig-signatures/pending/{SAFE}/type/allocation", {"message": message}, format="json",
                    HTTP_X_REAL_IP="10.0.0.1").status_code == 201
    safe_service.message(msg_hash, OWNERS[1:])
    with django_capture_on_commit_callbacks(execute=True):
        from multisig.tasks import multisig_approve_task

        multisig_approve_task.delay()
    assert list(MultisigSignature.objects.values_list("type", "status")) == [("tos", "approved"),
                                                                             ("allocation", "approved")]
    assert api.get(f"/allocations/user/{SAFE}/epoch/{EPOCH}").json()["allocations"] == [
        {"address": PROJECTS[1], "amount": str(allocated)}]

    # the window closes: the Safe's unallocated budget is its merkle leaf
    chain.set_time(timestamp=START + EPOCH * DURATION + WINDOW + 1)
    assert epochs_tick_task.delay().get()["finalizedSnapshot"] == EPOCH
    leaves = {leaf["address"]: int(leaf["amount"])
              for leaf in api.get(f"/rewards/merkle_tree/{EPOCH}").json()["leaves"]}
    assert leaves[SAFE] == budget - allocated
    withdrawal = api.get(f"/withdrawals/{SAFE}").json()
    assert [(w["epoch"], w["amount"]) for w in withdrawal] == [(EPOCH, str(budget - allocated))]
    assert withdrawal[0]["proof"]
