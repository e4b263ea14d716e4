"""Sablier GLM streams on the ethereum backend: the indexer pages through the Sablier subgraph (a real
GraphQL server on 127.0.0.1) by id at one pinned block, past a page of streams and of one stream's actions,
resumes after an outage, adds nothing on a re-run, and a stream's GLM counts in its recipient's budget."""
import pytest

from deposits import engine as deposits_engine
from deposits.models import DepositEvent, SablierStream
from deposits.services import sablier_streams_sync
from lifecycle.tasks import epochs_tick_task
from octant.core.exceptions import ChainUnavailable
from rewards import engine as rewards_engine
from tests.peers import SABLIER_SENDER as SENDER
from tests.peers import SablierData

from .support import ETH, GLM

USERS = [f"0x{i:040x}" for i in range(1, 41)]
BIG = 1099  # the last stream: 1,050 withdrawals, more than a page of actions


def _action(stream_id, n, category, timestamp, block, *, a=0, b=0, recipient=USERS[0]):
    return {"id": f"{stream_id}-{n:05d}", "stream": stream_id, "category": category, "addressA": SENDER,
            "addressB": recipient, "amountA": a, "amountB": b, "timestamp": timestamp,
            "hash": f"0x{abs(hash((stream_id, n))):064x}", "blockNumber": block}


def fixture_streams(token: str, *, t0=1_700_000_000):
    """1,100 streams of 1,000 GLM to 40 users: every other one withdrawn from, every fifth cancelled, the last
    withdrawn from 1,050 times; 2,920 actions. Plus a stream of another token and one of another sender."""
    streams, actions = [], []
    for n in range(1100):
        sid, user = f"0xsablier-11155111-{n:05d}", USERS[n % 40]
        streams.append({"id": sid, "sender": SENDER, "recipient": user, "asset": token, "depositAmount": 1000 * GLM,
                        "endTime": t0 + 10_000, "startTime": t0 + n, "blockNumber": 10 + n // 100})
        actions.append(_action(sid, 0, "Create", t0 + n, 10 + n // 100, a=1000 * GLM, recipient=user))
        if n % 2:
            actions.append(_action(sid, 1, "Withdraw", t0 + 2000 + n, 30, b=10 * GLM, recipient=user))
        if n % 5 == 0 and n != BIG:
            actions.append(_action(sid, 2, "Cancel", t0 + 3000 + n, 40, a=600 * GLM, b=400 * GLM, recipient=user))
        if n == BIG:
            actions += [_action(sid, 10 + k, "Withdraw", t0 + 4000 + k, 50, b=GLM // 2, recipient=user)
                        for k in range(1050)]
    other = [{"id": "0xother-1", "sender": SENDER, "recipient": USERS[0], "asset": "0x" + "77" * 20,
              "depositAmount": GLM, "endTime": t0, "blockNumber": 10},
             {"id": "0xother-2", "sender": "0x" + "66" * 20, "recipient": USERS[0], "asset": token,
              "depositAmount": GLM, "endTime": t0, "blockNumber": 10}]
    actions += [_action(s["id"], 0, "Create", t0, 10, a=GLM) for s in other]
    return streams + other, actions


@pytest.fixture
def sablier(deployment):
    return deployment.sablier


def test_pages_streams_and_actions_by_id_at_one_block_and_reruns_add_nothing(deployment, sablier):
    streams, actions = fixture_streams(deployment.glm.address.lower())
    sablier.data = SablierData(streams, actions)
    added = sablier_streams_sync()
    assert added == DepositEvent.objects.filter(source="sablier").count() == 2920
    assert SablierStream.objects.count() == 1100
    big = SablierStream.objects.get(stream_id=f"0xsablier-11155111-{BIG:05d}")
    assert (big.withdrawn_amount, big.intact_amount) == (535 * GLM, 465 * GLM)
    cancelled = SablierStream.objects.get(stream_id="0xsablier-11155111-00005")
    assert cancelled.cancelled and cancelled.intact_amount == (1000 - 10 - 600) * GLM
    queries = sablier.queries
    assert all("skip" not in q for q in queries)
    assert all("number: $pin" in q for q in queries[1:]) and "_meta" in queries[0]
    assert sum("id_gt: $after" in q and "$stream" in q for q in queries) == 1  # the rest of the big stream's actions
    # running balances: each user's events add up to its streams' intact amounts
    for user in USERS[:3]:
        last = DepositEvent.objects.filter(address__iexact=user).order_by("timestamp", "id").last()
        assert last.after == sum(s.intact_amount for s in SablierStream.objects.filter(recipient__iexact=user))

    # a re-run reads everything again and adds and rewrites nothing
    count = len(queries)
    assert sablier_streams_sync() == 0
    assert len(sablier.queries) > count
    assert DepositEvent.objects.filter(source="sablier").count() == added

    # a new withdrawal on an old stream is picked up
    sid = "0xsablier-11155111-00003"
    sablier.data = SablierData(streams, actions + [_action(sid, 5, "Withdraw", 1_700_009_000, 60, b=GLM,
                                                           recipient=USERS[3])])
    assert sablier_streams_sync() == 1
    assert SablierStream.objects.get(stream_id=sid).withdrawn_amount == 11 * GLM


def test_a_pass_reads_at_its_pinned_block(deployment, sablier):
    streams, actions = fixture_streams(deployment.glm.address.lower())
    ids = {s["id"] for s in streams[:5]}
    late = _action(streams[1]["id"], 7, "Withdraw", 1_700_005_000, 60, b=GLM, recipient=streams[1]["recipient"])
    sablier.data = SablierData(streams[:5], [a for a in actions if a["stream"] in ids and a["blockNumber"] < 30] + [late])
    sablier.data.head = 50  # the withdrawal at block 60 is past the subgraph's head: not read
    assert sablier_streams_sync() == 5  # the five creates
    assert SablierStream.objects.get(stream_id=streams[1]["id"]).withdrawn_amount == 0
    sablier.data.head = 60
    assert sablier_streams_sync() == 1


def test_an_outage_midway_resumes_without_loss_or_duplicates(deployment, sablier):
    streams, actions = fixture_streams(deployment.glm.address.lower())
    sablier.data = SablierData(streams, actions)
    sablier.faults = [None, None] + [503] * 20  # the head and the first page of streams, then it is down
    with pytest.raises(ChainUnavailable):
        sablier_streams_sync()
    assert SablierStream.objects.count() == 1000
    partial = DepositEvent.objects.count()
    sablier.faults = []
    assert sablier_streams_sync() == 2920 - partial
    assert SablierStream.objects.count() == 1100
    assert DepositEvent.objects.values("key").distinct().count() == DepositEvent.objects.count()


def test_without_an_endpoint_nothing_is_indexed(deployment, settings):
    settings.SABLIER_SUBGRAPH_ENDPOINT = ""
    assert sablier_streams_sync() == 0
    assert deployment.sablier.queries == []


def test_excluded_streams_are_skipped(deployment, sablier, settings):
    settings.SABLIER_EXCLUDED_STREAMS = [3, 7]
    streams, actions = fixture_streams(deployment.glm.address.lower())
    sablier.data = SablierData(streams[:10], [a for a in actions if a["stream"] in {s["id"] for s in streams[:10]}])
    sablier_streams_sync()
    assert SablierStream.objects.count() == 8
    assert not SablierStream.objects.filter(stream_id__endswith="-00003").exists()


def test_a_streams_glm_counts_in_the_budget_as_the_engine_says(deployment, sablier):
    chain, epoch = deployment, 1
    alice = chain.account(31)
    recipient = "0x" + "ab" * 20
    chain.fund(chain.target.address, eth=100 * ETH)
    chain.travel(chain.start + 1)
    chain.lock(alice, 10_000 * GLM)
    alice_at = chain.w3.eth.get_block("latest")["timestamp"]
    streamed, stream_at = 50_000 * GLM, chain.start + 300
    sablier.data = SablierData(
        [{"id": "0xsablier-1", "sender": SENDER, "recipient": recipient, "asset": chain.glm.address.lower(),
          "depositAmount": streamed, "endTime": stream_at + 20 * chain.duration, "blockNumber": 5}],
        [_action("0xsablier-1", 0, "Create", stream_at, 5, a=streamed, recipient=recipient)])

    chain.travel(chain.start + chain.duration + 1)
    result = epochs_tick_task()
    assert result["pendingSnapshot"] == epoch and result["depositEvents"] == 2

    from octant.core.addresses import checksum
    from rest_framework.test import APIClient

    start, end = chain.start, chain.start + chain.duration
    stream_ed = deposits_engine.cut_off(streamed, deposits_engine.effective_deposit(
        [{"type": "lock", "timestamp": start, "amount": 0, "before": 0},
         {"type": "lock", "timestamp": stream_at, "amount": streamed, "before": 0}], start, end, with_unlocks=False))
    alice_ed = deposits_engine.cut_off(10_000 * GLM, deposits_engine.effective_deposit(
        [{"type": "lock", "timestamp": start, "amount": 0, "before": 0},
         {"type": "lock", "timestamp": alice_at, "amount": 10_000 * GLM, "before": 0}], start, end,
        with_unlocks=False))
    total = stream_ed + alice_ed
    rewards = rewards_engine.octant_rewards(epoch, staking_proceeds=100 * ETH, total_effective_deposit=total)
    budget = rewards_engine.user_budget(epoch, effective_deposit=stream_ed, total_effective_deposit=total,
                                        vanilla_individual_rewards=rewards.vanilla_individual_rewards, ppf=rewards.ppf)
    assert 0 < stream_ed < streamed
    api = APIClient()
    assert api.get(f"/rewards/budget/{checksum(recipient)}/epoch/{epoch}").json() == {"budget": str(budget)}
    assert api.get(f"/user/{checksum(recipient)}/sablier-streams").json()["sablierStreams"][0]["remainingAmount"] \
        == str(streamed)
