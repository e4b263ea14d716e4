"""The vault job on a real EVM: the Vault is funded with the total withdrawals and the root set exactly
once, even when a worker dies after sending, or a transaction stays pending across runs."""
import pytest
from model_bakery import baker

from epochs.models import FinalizedEpochSnapshot
from octant.chain.backends import get_chain
from octant.chain.models import ChainTransaction
from withdrawals.models import EpochVerification
from withdrawals.services import vault_confirm

from .support import ETH

ROOT = "0x" + "ab" * 32
TOTAL = 5 * ETH


@pytest.fixture
def finalized(deployment):
    baker.make(FinalizedEpochSnapshot, epoch=3, withdrawals_merkle_root=ROOT, total_withdrawals=TOTAL,
               vault_confirmed_at=None)
    baker.make(EpochVerification, epoch=3, passed=True)  # the Vault gets only verified roots
    return deployment


def on_chain(chain):
    return ("0x" + chain.vault.functions.merkleRoots(3).call().hex(), chain.w3.eth.get_balance(chain.vault.address))


def test_sets_the_root_and_funds_the_vault(finalized):
    chain = finalized
    nonce = chain.w3.eth.get_transaction_count(chain.multisig)
    assert vault_confirm() == [3]
    assert on_chain(chain) == (ROOT, TOTAL)
    assert chain.w3.eth.get_transaction_count(chain.multisig) == nonce + 2
    assert get_chain().vault_merkle_root(3) == ROOT
    assert FinalizedEpochSnapshot.objects.get(epoch=3).vault_confirmed_at is not None
    assert vault_confirm() == []


def test_the_verification_compares_the_vaults_root_with_ours(finalized):
    from lifecycle.verification import vault_root_check

    chain = finalized
    assert vault_root_check(epoch=3, root=ROOT).actual == "not set yet"  # passes, compared by a later run
    chain.vault.functions.setMerkleRoot(3, bytes.fromhex(ROOT[2:])).transact({"from": chain.multisig})
    check = vault_root_check(epoch=3, root=ROOT)
    assert check.passed and check.actual == ROOT
    other = vault_root_check(epoch=3, root="0x" + "cd" * 32)
    assert not other.passed and (other.expected, other.actual) == ("0x" + "cd" * 32, ROOT)


def test_worker_killed_after_sending_loses_and_duplicates_nothing(finalized, settings):
    chain = finalized
    nonce = chain.w3.eth.get_transaction_count(chain.multisig)
    settings.ETH_RPC_RETRIES = 0
    # the node takes the funding transaction, then the worker's connection (and the worker) die
    chain.rpc.method_faults["eth_sendRawTransaction"] = ["drop"]
    with pytest.raises(Exception):
        vault_confirm()
    assert on_chain(chain) == ("0x" + "00" * 32, TOTAL)  # funded, root not yet set
    assert FinalizedEpochSnapshot.objects.get(epoch=3).vault_confirmed_at is None
    assert ChainTransaction.objects.filter(status="signed").count() == 2  # journalled before sending

    assert vault_confirm() == [3]  # the next run resends the journalled bytes: the funding is not repeated
    assert on_chain(chain) == (ROOT, TOTAL)
    assert chain.w3.eth.get_transaction_count(chain.multisig) == nonce + 2
    assert list(ChainTransaction.objects.values_list("status", flat=True)) == ["mined", "mined"]


def test_pending_transactions_are_waited_for_not_repeated(finalized, settings):
    chain = finalized
    settings.CHAIN_TX_RECEIPT_TIMEOUT = 0.3
    nonce = chain.w3.eth.get_transaction_count(chain.multisig)
    chain.tester.disable_auto_mine_transactions()
    assert vault_confirm() == []  # sent, not mined: logged, retried by the next run
    assert vault_confirm() == []
    assert FinalizedEpochSnapshot.objects.get(epoch=3).vault_confirmed_at is None
    chain.tester.enable_auto_mine_transactions()
    assert vault_confirm() == [3]
    assert on_chain(chain) == (ROOT, TOTAL)
    assert chain.w3.eth.get_transaction_count(chain.multisig) == nonce + 2


def test_a_root_set_by_someone_else_is_only_recorded(finalized):
    chain = finalized
    chain.vault.functions.setMerkleRoot(3, bytes.fromhex(ROOT[2:])).transact({"from": chain.multisig})
    assert vault_confirm() == []
    assert FinalizedEpochSnapshot.objects.get(epoch=3).vault_confirmed_at is not None
    assert ChainTransaction.objects.count() == 0 and on_chain(chain) == (ROOT, 0)


def test_disabled_or_without_a_key_nothing_is_sent(finalized, settings):
    settings.VAULT_CONFIRM_WITHDRAWALS_ENABLED = False
    assert vault_confirm() == []
    settings.VAULT_CONFIRM_WITHDRAWALS_ENABLED = True
    settings.TESTNET_MULTISIG_PRIVATE_KEY = ""
    assert vault_confirm() == []  # refused with a clear log line, nothing journalled
    assert ChainTransaction.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_workers_fund_and_set_exactly_once(settings):
    import threading

    from django.db import connection

    from .support import Deployment, use

    chain = Deployment()
    try:
        use(chain, settings)
        baker.make(FinalizedEpochSnapshot, epoch=3, withdrawals_merkle_root=ROOT, total_withdrawals=TOTAL,
                   vault_confirmed_at=None)
        baker.make(EpochVerification, epoch=3, passed=True)
        nonce = chain.w3.eth.get_transaction_count(chain.multisig)
        barrier, errors = threading.Barrier(2), []

        def worker():
            barrier.wait()
            try:
                vault_confirm()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors
        assert on_chain(chain) == (ROOT, TOTAL)
        assert chain.w3.eth.get_transaction_count(chain.multisig) == nonce + 2
        assert ChainTransaction.objects.count() == 2
    finally:
        chain.stop()
