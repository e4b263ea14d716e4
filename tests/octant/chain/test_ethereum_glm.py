"""Epoch-0 GLM claim transfers on a real EVM: `GLM.transfer` from the claim sender's key with each claim's
nonce as the transaction nonce, journalled so that a worker dying after sending never sends twice."""
import pytest

from glm.models import EpochZeroClaim
from glm.tasks import glm_transfer_task
from octant.chain.backends import get_chain
from octant.chain.models import ChainTransaction
from octant.core.exceptions import ChainError

from ...glm.test_claim import ALICE, AMOUNT, BOB, claim_signature
from .support import GLM


@pytest.fixture
def claims(deployment, settings):
    """A funded sender that has sent two transactions of its own; Bob then Alice claim (nonces 2 and 3)."""
    from rest_framework.test import APIClient

    chain = deployment
    sender = chain.account(41)
    chain.fund(sender.address, glm=10_000 * GLM)
    for _ in range(2):
        chain.glm.functions.approve(chain.vault.address, 1).transact({"from": sender.address})
    settings.GLM_CLAIM_ENABLED, settings.GLM_SENDER_NONCE = True, 2
    settings.GLM_SENDER_ADDRESS, settings.GLM_SENDER_PRIVATE_KEY = sender.address, "0x" + sender.key.hex()
    api = APIClient()
    for account in (BOB, ALICE):
        EpochZeroClaim.objects.create(address=account.address)
        assert api.post("/glms/claim", {"signature": claim_signature(account)}, format="json").status_code == 201
    return chain, sender


def balances(chain):
    return [chain.glm.functions.balanceOf(a.address).call() for a in (BOB, ALICE)]


def test_transfers_use_the_claim_nonces_once(claims):
    chain, sender = claims
    assert get_chain().glm_sender_nonce() == 2
    glm_transfer_task.delay()
    assert balances(chain) == [AMOUNT, AMOUNT]
    for account, nonce in ((BOB, 2), (ALICE, 3)):
        tx_hash = EpochZeroClaim.objects.get(address=account.address).transaction_hash
        tx = chain.w3.eth.get_transaction(tx_hash)
        assert (tx["nonce"], tx["from"], tx["to"]) == (nonce, sender.address, chain.glm.address)
    assert list(ChainTransaction.objects.values_list("key", "status")) == [("glm-transfer:2", "mined"),
                                                                          ("glm-transfer:3", "mined")]
    glm_transfer_task.delay()  # nothing left to send
    assert balances(chain) == [AMOUNT, AMOUNT] and chain.w3.eth.get_transaction_count(sender.address) == 4
    with pytest.raises(ChainError, match="not the sender's next nonce"):
        get_chain().transfer_glm(ALICE.address, 1, nonce=4 + 1)


def test_worker_killed_after_sending_sends_nothing_twice(claims, settings):
    chain, sender = claims
    settings.ETH_RPC_RETRIES = 0
    chain.rpc.method_faults["eth_sendRawTransaction"] = ["drop"]  # the node takes it; the worker dies
    with pytest.raises(Exception):
        glm_transfer_task.delay()
    assert balances(chain) == [AMOUNT, 0]
    assert EpochZeroClaim.objects.get(address=BOB.address).transaction_hash == ""
    glm_transfer_task.delay()  # the journalled transfer is confirmed (not resent), then Alice's is sent
    assert balances(chain) == [AMOUNT, AMOUNT]
    assert chain.w3.eth.get_transaction_count(sender.address) == 4
    assert EpochZeroClaim.objects.get(address=BOB.address).transaction_hash == ChainTransaction.objects.get(
        key="glm-transfer:2").tx_hash


def test_a_pending_transfer_is_waited_for_not_repeated(claims, settings):
    chain, sender = claims
    settings.CHAIN_TX_RECEIPT_TIMEOUT = 0.3
    chain.tester.disable_auto_mine_transactions()
    assert glm_transfer_task.delay().get() == 0  # sent, not mined yet: the run stops there
    assert glm_transfer_task.delay().get() == 0
    chain.tester.enable_auto_mine_transactions()
    assert glm_transfer_task.delay().get() == 2
    assert balances(chain) == [AMOUNT, AMOUNT] and chain.w3.eth.get_transaction_count(sender.address) == 4


def test_a_key_that_is_not_the_senders_is_refused(claims, settings):
    settings.GLM_SENDER_ADDRESS = BOB.address
    with pytest.raises(ChainError, match="not the key of GLM_SENDER_ADDRESS"):
        get_chain().glm_sender_nonce()
