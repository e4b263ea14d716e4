"""The whole epoch with CHAIN_BACKEND=ethereum: locks on chain, the subgraph indexed by the beat job, signed
allocations (one from a contract wallet through EIP-1271), snapshots, the vault root set and the Vault funded on
chain by the vault job, withdrawals available and claimed on chain. As the local backend's version
(tests/withdrawals/test_finalization.py), apart from how time and events are produced. Twice: against our
contracts on an in-process EVM with a subgraph mirroring it, and against a running local stack of ours, its
`/rpc` and `/subgraphs/name/octant` (tests.peers.LocalStack)."""
from decimal import Decimal

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from allocations import engine as allocations_engine
from epochs.models import FinalizedEpochSnapshot, PendingEpochSnapshot
from lifecycle.tasks import epochs_tick_task
from octant.chain.backends import get_chain
from octant.chain.models import ChainTransaction, LocalPassportScore
from octant.core import signatures
from rewards import engine as rewards_engine
from withdrawals import engine as merkle
from withdrawals.models import Reward

from tests.fixtures.window import sign
from tests.peers import LocalStack
from .support import ETH, GLM, use

PROJECTS = ["0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222",
            "0x3333333333333333333333333333333333333333"]
P1, P2, P3 = PROJECTS
EPOCH = 4


def sign_by_wallet(chain, wallet, owner, allocations, nonce) -> dict:
    """An allocation request of a contract wallet: its owner signs (the EIP-712 digest, or what the wallet makes
    of it), the wallet's `isValidSignature` vouches for it."""
    body = sign(owner, allocations, nonce)
    digest = signatures.allocation_digest(body["payload"], chain_id=settings.CHAIN_ID)
    return {**body, "userAddress": wallet.address, "signature": chain.wallet_signature(wallet, owner, digest)}


@pytest.fixture(params=["evm", "local stack"])
def chain_under_test(request, db, settings):
    """Our contracts on an in-process EVM, or a running local stack of ours (on a database of its own), with
    CHAIN_BACKEND=ethereum pointed at it."""
    if request.param == "evm":
        yield request.getfixturevalue("deployment")
        return
    stack = LocalStack(request.getfixturevalue("scratch_database_url"))
    use(stack, settings)
    try:
        yield stack
    finally:
        stack.stop()


def test_an_epoch_on_the_ethereum_backend(chain_under_test, django_capture_on_commit_callbacks):
    chain, api = chain_under_test, APIClient()
    alice, bob, carol = chain.account(21), chain.account(22), chain.account(23)
    chain.set_projects(1, PROJECTS)  # epochs 2.. fall back to epoch 1's list
    chain.fund(chain.target.address, eth=100 * ETH)  # staking proceeds on a testnet: the target's balance
    chain.travel(chain.start + 1)
    chain.lock(alice, 10_000 * GLM)
    chain.lock(bob, 20_000 * GLM)
    wallet = chain.wallet_for(carol, glm=5_000 * GLM)
    for address, score in ((alice.address, "20"), (bob.address, "1"), (wallet.address, "7")):
        LocalPassportScore.objects.create(address=address, score=score)

    # the beat job indexes the subgraph and snapshots every allocation window in order
    for n in range(1, EPOCH + 1):
        chain.travel(chain.start + n * chain.duration + 1)
        result = epochs_tick_task()
        assert result["pendingSnapshot"] == n
    assert get_chain().is_contract(wallet.address) and not get_chain().is_contract(alice.address)

    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/allocations/allocate", sign(alice, [(P1, 10**18), (P2, 3 * 10**18)], 0),
                        format="json").status_code == 201
        assert api.post("/allocations/allocate", sign(bob, [(P1, 2 * 10**18)], 0), format="json").status_code == 201
        response = api.post("/allocations/allocate", sign_by_wallet(chain, wallet, carol, [(P3, 10**17)], 0),
                            format="json")
        assert response.status_code == 201, response.json()
    # a contract wallet whose owner did not sign is refused
    forged = sign_by_wallet(chain, wallet, bob, [(P3, 10**17)], 1)
    assert api.post("/allocations/allocate", forged, format="json").status_code == 400

    chain.travel(chain.start + EPOCH * chain.duration + chain.window + 1)
    result = epochs_tick_task()
    assert result["finalizedSnapshot"] == EPOCH and result["vaultRoots"] == [EPOCH]
    snapshot = FinalizedEpochSnapshot.objects.get(epoch=EPOCH)

    # figures equal the engine's, to the wei
    pending = PendingEpochSnapshot.objects.get(epoch=EPOCH)
    assert pending.eth_proceeds == 100 * ETH
    rewards = rewards_engine.octant_rewards(EPOCH, staking_proceeds=pending.eth_proceeds,
                                            total_effective_deposit=pending.total_effective_deposit)
    allocations = [{"donor": alice.address, "project": P1, "amount": 10**18, "uq": Decimal("1.0")},
                   {"donor": alice.address, "project": P2, "amount": 3 * 10**18, "uq": Decimal("1.0")},
                   {"donor": bob.address, "project": P1, "amount": 2 * 10**18, "uq": Decimal("0.01")},
                   {"donor": wallet.address, "project": P3, "amount": 10**17, "uq": Decimal("1.0")}]
    projects = allocations_engine.project_rewards(EPOCH, allocations=allocations, projects=PROJECTS,
                                                  matched_rewards=rewards.matched_rewards)
    budgets = {r["address"]: int(r["amount"]) for r in api.get(f"/rewards/budgets/epoch/{EPOCH}").json()["budgets"]}
    assert set(budgets) == {alice.address, bob.address, wallet.address}
    claimed = rewards_engine.claimed_rewards(budgets, {alice.address: 4 * 10**18, bob.address: 2 * 10**18,
                                                       wallet.address: 10**17})
    total_withdrawals = sum(c for _, c in claimed) + projects.rewards_sum
    assert snapshot.matched_rewards == rewards.matched_rewards
    assert snapshot.total_withdrawals == total_withdrawals
    leaves = dict(Reward.objects.filter(epoch=EPOCH).values_list("address", "amount"))
    expected = dict(claimed)
    expected.update({r.address: r.allocated + r.matched for r in projects.rewards if r.allocated})
    assert leaves == expected and wallet.address in leaves

    # on chain: the root is set and the Vault holds the total withdrawals, each sent once
    assert "0x" + chain.vault.functions.merkleRoots(EPOCH).call().hex() == snapshot.withdrawals_merkle_root
    assert chain.w3.eth.get_balance(chain.vault.address) == total_withdrawals
    assert sorted(ChainTransaction.objects.values_list("key", "status")) == [
        (f"vault-fund:{EPOCH}", "mined"), (f"vault-root:{EPOCH}", "mined")]
    # verified by itself before the Vault got its root, and again now with the Vault's root read on chain
    from lifecycle.verification import epoch_verify

    report = epoch_verify(epoch=EPOCH)
    vault = next(check for check in report.checks if check["name"] == "the Vault's root")
    assert report.passed and vault["passed"] and vault["actual"] == snapshot.withdrawals_merkle_root

    # withdrawals: proofs verify, available once the root is on chain; Alice claims on chain
    [entry] = api.get(f"/withdrawals/{alice.address}").json()
    assert entry["status"] == "available" and entry["epoch"] == EPOCH
    assert merkle.verify(snapshot.withdrawals_merkle_root, alice.address, int(entry["amount"]), entry["proof"])
    balance = chain.w3.eth.get_balance(alice.address)
    receipt = chain.w3.eth.wait_for_transaction_receipt(chain.vault.functions.batchWithdraw(
        [(EPOCH, int(entry["amount"]), entry["proof"])]).transact({"from": alice.address}))
    gas = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert chain.w3.eth.get_balance(alice.address) == balance + int(entry["amount"]) - gas
    chain.sync_subgraph()
    assert epochs_tick_task()["depositEvents"] == 0
    assert api.get(f"/withdrawals/{alice.address}").json() == []  # lastClaimedEpoch moved past it
    assert get_chain().withdrawal_events(alice.address)[0]["amount"] == int(entry["amount"])

    # idempotent: the job finds nothing more to do, and sends nothing more
    assert epochs_tick_task() == {"depositEvents": 0, "epochs": 0, "pendingSnapshot": None,
                             "finalizedSnapshot": None, "vaultRoots": []}
    assert ChainTransaction.objects.count() == 2
