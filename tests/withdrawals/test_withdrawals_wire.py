"""The withdrawals group's bodies byte for byte (keys, key order, strings, numbers, nulls) as their output
serializers render them, and the merkle leaves equal to what their documenting serializer renders."""
import json

from django.test import override_settings

from epochs.models import FinalizedEpochSnapshot
from epochs.selectors import chain_view
from lifecycle.tasks import epochs_tick_task
from withdrawals import selectors
from withdrawals.apis import MerkleLeafOut, merkle_leaf_row
from withdrawals.models import Reward

from tests.fixtures.chain import DURATION, START, WINDOW
from tests.fixtures.window import EPOCH, PROJECTS, USERS, sign

ALICE, BOB, CAROL = USERS
P1, P2, P3 = PROJECTS


def wire(body) -> bytes:
    """`body` as DRF's renderer writes it: compact, keys in the order given."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def test_merkle_leaf_row_renders_as_its_serializer():
    for address, amount in [(ALICE.address, 0), (P1, 10**18), (BOB.address, 2**256 - 1)]:
        row = merkle_leaf_row(address, amount)
        rendered = MerkleLeafOut({"address": address, "amount": amount}).data
        assert list(row) == list(MerkleLeafOut().fields) == list(rendered)
        assert row == rendered
        assert [type(value) for value in row.values()] == [type(value) for value in rendered.values()] == [str, str]


def test_withdrawal_and_reward_bodies(api, window):  # noqa: F811
    assert api.post("/allocations/allocate", sign(ALICE, [(P1, 10**18), (P2, 3 * 10**18)], 0),
                    format="json").status_code == 201
    assert api.get(f"/rewards/projects/epoch/{EPOCH}").content == b'{"rewards":[]}'
    [pending] = selectors.withdrawals(address=ALICE.address, view=chain_view())
    assert api.get(f"/withdrawals/{ALICE.address}").content == wire(
        [{"epoch": EPOCH, "amount": str(pending["amount"]), "proof": [], "status": "pending"}])
    assert api.get(f"/withdrawals/{CAROL.address}").content == b"[]"  # no allocation: nothing claimed yet

    window.set_time(timestamp=START + EPOCH * DURATION + WINDOW + 1)
    with override_settings(VAULT_CONFIRM_WITHDRAWALS_ENABLED=False):
        assert epochs_tick_task.delay().get()["finalizedSnapshot"] == EPOCH
    root = FinalizedEpochSnapshot.objects.get(epoch=EPOCH).withdrawals_merkle_root
    leaves = list(Reward.objects.filter(epoch=EPOCH).order_by("address").values_list("address", "amount"))
    assert len(leaves) == 3  # Alice's claim, P1 and P2
    assert api.get(f"/rewards/merkle_tree/{EPOCH}").content == wire({
        "epoch": EPOCH, "rewardsSum": str(sum(amount for _, amount in leaves)), "root": root,
        "leaves": [{"address": address, "amount": str(amount)} for address, amount in leaves],
        "leafEncoding": ["address", "uint256"]})

    tree, _ = selectors.merkle_tree(epoch=EPOCH)
    amount = dict(leaves)[ALICE.address]
    entry = {"epoch": EPOCH, "amount": str(amount), "proof": tree.proof(ALICE.address), "status": "pending"}
    assert entry["proof"] and api.get(f"/withdrawals/{ALICE.address}").content == wire([entry])
    assert epochs_tick_task.delay().get()["vaultRoots"] == [EPOCH]
    assert api.get(f"/withdrawals/{ALICE.address}").content == wire([{**entry, "status": "available"}])

    rewards = Reward.objects.filter(epoch=EPOCH, matched__isnull=False).order_by("address")
    assert api.get(f"/rewards/projects/epoch/{EPOCH}").content == wire({"rewards": [
        {"address": r.address, "allocated": str(r.amount - r.matched), "matched": str(r.matched)} for r in rewards]})
    addresses, value = selectors.unused_rewards(epoch=EPOCH)
    assert set(addresses) == {BOB.address, CAROL.address}
    assert api.get(f"/rewards/unused/{EPOCH}").content == wire({"addresses": addresses, "value": str(value)})
