"""The local chain as an Ethereum node (`/rpc`: octant/chain/rpc.py over octant/chain/ledger.py), driven as a wallet
and the web client drive it: web3.py over HTTP against Django's live server, transactions signed with
eth-account, contracts read and events decoded with our contracts' ABI (Octant's signatures)."""
import json
from pathlib import Path

import pytest
import requests
from django.conf import settings
from eth_account import Account
from rest_framework.test import APIClient
from web3 import HTTPProvider, Web3
from web3.exceptions import BlockNotFound, ContractLogicError, Web3RPCError
from web3.logs import DISCARD
from web3.middleware import SignAndSendRawMiddlewareBuilder

from lifecycle.tasks import epochs_tick_task
from octant.chain.backends import get_chain
from octant.chain import ledger
from octant.chain.blocks import COMPILED, CONTRACT_ABI
from octant.chain.models import LocalTransaction

from tests.fixtures.chain import DURATION, START, WINDOW
from tests.fixtures.window import EPOCH, HOLDERS, PROJECTS, USERS, open_window, sign

GLM = ETH = 10**18
WALLET = Account.from_key(b"\x51" * 32)


@pytest.fixture
def node(live_server, transactional_db):
    """The local chain (epoch 1 at START, clock frozen at START + 10) and web3 connected to its `/rpc`, signing as
    WALLET, a fresh account without ETH."""
    chain = get_chain()
    chain.set_time(timestamp=START - 100)
    chain.configure(start=START, duration=DURATION, decision_window=WINDOW)
    chain.set_time(timestamp=START + 10)
    return _web3(live_server.url)


def _web3(url: str, account=WALLET) -> Web3:
    w3 = Web3(HTTPProvider(url + "/rpc"))
    w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(account), layer=0)
    return w3


def contract(w3: Web3, name: str):
    return w3.eth.contract(address=get_chain().contract_addresses()[name], abi=COMPILED[CONTRACT_ABI[name]]["abi"])


def rpc(url: str, body):
    return requests.post(url + "/rpc", json=body, timeout=10).json()


def test_reads_of_the_chain_and_its_contracts(node, live_server):
    chain, w3 = get_chain(), node
    assert w3.eth.chain_id == settings.CHAIN_ID == int(w3.net.version)
    head = w3.eth.block_number
    latest = w3.eth.get_block("latest")
    assert latest["number"] == head and latest["timestamp"] == chain.now() == START + 10
    chain.set_time(advance=7)  # a block a second of chain time
    assert w3.eth.block_number == head + 7 and w3.eth.get_block(head)["timestamp"] == START + 10
    assert w3.eth.get_block(head + 7)["parentHash"] == w3.eth.get_block(head + 6)["hash"]
    assert w3.eth.get_block(w3.eth.get_block(head)["hash"])["number"] == head
    with pytest.raises(BlockNotFound):  # not there yet
        w3.eth.get_block(head + 8)

    epochs = contract(w3, "Epochs").functions
    status = chain.status()
    assert epochs.getCurrentEpoch().call() == status["currentEpoch"] == 1
    assert epochs.isDecisionWindowOpen().call() is False
    assert epochs.getCurrentEpochEnd().call() == status["epochEnd"] == START + DURATION
    assert epochs.getCurrentEpochProps().call() == (1, 0, START, DURATION, WINDOW)
    assert (epochs.getEpochDuration().call(), epochs.getDecisionWindow().call()) == (DURATION, WINDOW)
    with pytest.raises(ContractLogicError, match="HN:Epochs/not-pending-epoch"):
        epochs.getPendingEpoch().call()
    with pytest.raises(ContractLogicError, match="HN:Epochs/not-started-yet"):  # at a block before epoch 1
        epochs.getCurrentEpoch().call(block_identifier=head - 50)

    glm = contract(w3, "GLM").functions
    assert (glm.name().call(), glm.symbol().call(), glm.decimals().call(), glm.totalSupply().call()) == (
        "Golem Network Token", "GLM", 18, 10**27)
    chain.mint(WALLET.address, glm=7 * GLM, eth=3 * ETH)
    assert glm.balanceOf(WALLET.address).call() == 7 * GLM and w3.eth.get_balance(WALLET.address) == 3 * ETH
    chain.lock(USERS[0].address, 5 * GLM)  # a `chain lock`: the Deposits contract holds the GLM
    assert glm.balanceOf(chain.contract_addresses()["Deposits"]).call() == 5 * GLM
    assert contract(w3, "Deposits").functions.deposits(USERS[0].address).call() == 5 * GLM

    chain.add_project(1, PROJECTS[0])
    chain.add_project(1, PROJECTS[1])
    projects = contract(w3, "Projects").functions
    assert projects.getProposalAddresses(1).call() == projects.getProposalAddresses(3).call() == PROJECTS[:2]
    assert w3.eth.get_code(chain.contract_addresses()["Vault"]) != b"" and w3.eth.get_code(WALLET.address) == b""
    assert contract(w3, "Vault").functions.lastClaimedEpoch(WALLET.address).call() == 0
    with pytest.raises(ContractLogicError, match="setCID is not offered by the local chain"):
        projects.setCID("Qm").call()
    # Octant v2's RegenStaker, whose minimum stake the web client reads for its users' migration status
    assert contract(w3, "RegenStaker").functions.minimumStakeAmount().call() == 100 * GLM

    # JSON-RPC itself: a batch, an unknown method, a bad body, bad params
    url = live_server.url
    batch = rpc(url, [{"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
                      {"jsonrpc": "2.0", "id": 2, "method": "eth_nope"},
                      {"jsonrpc": "2.0", "id": 3, "method": "eth_getBalance", "params": ["0x12"]}])
    assert batch[0] == {"jsonrpc": "2.0", "id": 1, "result": hex(settings.CHAIN_ID)}
    assert batch[1]["error"]["code"] == -32601 and batch[2]["error"]["code"] == -32602
    assert requests.post(url + "/rpc", data="{", timeout=10).json()["error"]["code"] == -32700
    assert rpc(url, [])["error"]["code"] == -32600
    fees = w3.eth.fee_history(3, "latest", [50])
    assert fees["baseFeePerGas"] == [0] * 4 and fees["reward"] == [[0]] * 3 and w3.eth.gas_price == 0


def test_a_wallet_approves_and_locks_and_the_api_shows_it(node, live_server):
    chain, w3 = get_chain(), node
    glm, deposits = contract(w3, "GLM"), contract(w3, "Deposits")
    chain.mint(WALLET.address, glm=1_000 * GLM)  # the faucet; no ETH: gas costs nothing here
    approve = glm.functions.approve(deposits.address, 600 * GLM).transact({"from": WALLET.address})
    receipt = w3.eth.wait_for_transaction_receipt(approve)
    assert receipt["status"] == 1 and receipt["from"] == WALLET.address
    [approval] = glm.events.Approval().process_receipt(receipt, errors=DISCARD)
    assert approval["args"] == {"owner": WALLET.address, "spender": deposits.address, "value": 600 * GLM}
    assert glm.functions.allowance(WALLET.address, deposits.address).call() == 600 * GLM

    lock = w3.eth.wait_for_transaction_receipt(deposits.functions.lock(400 * GLM).transact({"from": WALLET.address}))
    [locked] = deposits.events.Locked().process_receipt(lock, errors=DISCARD)
    assert locked["args"] == {"depositBefore": 0, "amount": 400 * GLM, "when": START + 10, "user": WALLET.address}
    [moved] = glm.events.Transfer().process_receipt(lock, errors=DISCARD)
    assert moved["args"] == {"from": WALLET.address, "to": deposits.address, "value": 400 * GLM}
    assert w3.eth.get_block(lock["blockNumber"])["transactions"] == [lock["transactionHash"]]
    assert w3.eth.get_transaction(lock["transactionHash"])["nonce"] == 1
    assert (glm.functions.balanceOf(WALLET.address).call(), deposits.functions.deposits(WALLET.address).call(),
            glm.functions.allowance(WALLET.address, deposits.address).call()) == (600 * GLM, 400 * GLM, 200 * GLM)
    logs = deposits.events.Locked().get_logs(from_block=0)
    assert [log["transactionHash"] for log in logs] == [lock["transactionHash"]]

    # the API shows the lock at once (the node stored it, as a `chain lock` does), with its transaction
    [item] = APIClient().get(f"/history/{WALLET.address}").json()["history"]
    assert (item["type"], item["eventData"]["amount"], item["eventData"]["transactionHash"]) == (
        "lock", str(400 * GLM), "0x" + lock["transactionHash"].hex())

    # refused with the contract's reasons, before they take a nonce
    nonce = w3.eth.get_transaction_count(WALLET.address)
    with pytest.raises(ContractLogicError, match="HN:Deposits/deposit-is-smaller"):
        deposits.functions.unlock(401 * GLM).transact({"from": WALLET.address})
    with pytest.raises(ContractLogicError, match="ERC20: insufficient allowance"):
        deposits.functions.lock(201 * GLM).transact({"from": WALLET.address})
    with pytest.raises(Web3RPCError, match="execution reverted: HN:Common/invalid-argument"):
        deposits.functions.lock(0).transact({"from": WALLET.address, "gas": 200_000})  # sent, not estimated
    assert w3.eth.get_transaction_count(WALLET.address) == nonce == 2

    # a node's checks of what is sent: the same bytes again, another chain, a used nonce
    signed = WALLET.sign_transaction(deposits.functions.unlock(100 * GLM).build_transaction(
        {"from": WALLET.address, "nonce": nonce, "gas": 100_000, "maxFeePerGas": 0, "maxPriorityFeePerGas": 0}))
    w3.eth.send_raw_transaction(signed.raw_transaction)
    for raw, error in ((signed.raw_transaction, "already known"), (WALLET.sign_transaction(
            {"to": WALLET.address, "value": 0, "gas": 21_000, "gasPrice": 0, "nonce": 3, "chainId": 1}).raw_transaction,
            "invalid chain id"), (WALLET.sign_transaction(
            {"to": WALLET.address, "value": 0, "gas": 21_000, "gasPrice": 0, "nonce": 0,
             "chainId": settings.CHAIN_ID}).raw_transaction, "nonce too low")):
        with pytest.raises(Web3RPCError, match=error):
            w3.eth.send_raw_transaction(raw)
    assert deposits.functions.deposits(WALLET.address).call() == 300 * GLM
    assert LocalTransaction.objects.filter(sender=WALLET.address).count() == 3

    # gas is paid at the price offered (the base fee is 0), so an offer above the funds is refused
    with pytest.raises(Web3RPCError, match="insufficient funds for gas"):
        w3.eth.send_raw_transaction(WALLET.sign_transaction(
            {"to": WALLET.address, "value": 0, "gas": 21_000, "gasPrice": 10**9, "nonce": 3,
             "chainId": settings.CHAIN_ID}).raw_transaction)
    chain.mint(WALLET.address, eth=ETH)
    paid = w3.eth.wait_for_transaction_receipt(glm.functions.transfer(USERS[1].address, GLM).transact(
        {"from": WALLET.address, "maxFeePerGas": 2 * 10**9, "maxPriorityFeePerGas": 10**9}))
    assert w3.eth.get_balance(WALLET.address) == ETH - paid["gasUsed"] * 10**9 and paid["effectiveGasPrice"] == 10**9


def test_a_withdrawal_from_the_vault_with_its_merkle_proof(live_server, transactional_db):
    alice = USERS[0]
    chain, api = open_window(HOLDERS), APIClient()
    assert api.post("/allocations/allocate", sign(alice, [(PROJECTS[0], 10**18)], 0), format="json").status_code == 201
    chain.set_time(timestamp=START + EPOCH * DURATION + WINDOW + 1)
    assert epochs_tick_task.delay().get()["vaultRoots"] == [EPOCH]  # the vault job funds the Vault with the root
    [entry] = api.get(f"/withdrawals/{alice.address}").json()
    assert entry["status"] == "available"
    w3 = _web3(live_server.url, alice)
    vault = contract(w3, "Vault")
    assert "0x" + vault.functions.merkleRoots(EPOCH).call().hex() == chain.vault_merkle_root(EPOCH)

    with pytest.raises(ContractLogicError, match="HN:Vault/invalid-merkle-proof"):
        vault.functions.batchWithdraw([(EPOCH, int(entry["amount"]) + 1, entry["proof"])]).transact(
            {"from": alice.address})
    receipt = w3.eth.wait_for_transaction_receipt(vault.functions.batchWithdraw(
        [(EPOCH, int(entry["amount"]), entry["proof"])]).transact({"from": alice.address}))
    [withdrawn] = vault.events.Withdrawn().process_receipt(receipt, errors=DISCARD)
    assert withdrawn["args"] == {"user": alice.address, "amount": int(entry["amount"]), "epoch": EPOCH}
    assert w3.eth.get_balance(alice.address) == int(entry["amount"])
    assert vault.functions.lastClaimedEpoch(alice.address).call() == EPOCH
    with pytest.raises(ContractLogicError, match="HN:Vault/already-claimed"):
        vault.functions.batchWithdraw([(EPOCH, int(entry["amount"]), entry["proof"])]).transact({"from": alice.address})

    assert api.get(f"/withdrawals/{alice.address}").json() == []  # claimed
    history = api.get(f"/history/{alice.address}").json()["history"]
    assert [(i["type"], i["eventData"]["amount"], i["eventData"]["transactionHash"]) for i in history
            if i["type"] == "withdrawal"] == [("withdrawal", entry["amount"], "0x" + receipt["transactionHash"].hex())]


OCTANT_ABIS = [Path(settings.BASE_DIR).parent / "shared" / folder for folder in (
    "octant-subgraph/abis", "octant-client/client/src/hooks/contracts/abi")]
OWNER_ONLY = {"setEpochProps", "setProposalAddresses", "setCID", "setEpochs", "setTrackerAddress", "emergencyWithdraw"}


@pytest.mark.skipif(not any(p.is_dir() for p in OCTANT_ABIS), reason="no Octant ABIs under ../shared")
def test_every_function_of_octants_abis_is_answered_but_the_owners_setters():
    from eth_utils import function_abi_to_4byte_selector

    contracts = {"Deposits": "Deposits", "ERC20": "GLM", "Epochs": "Epochs", "Proposals": "Projects", "Vault": "Vault"}
    checked = 0
    for folder in OCTANT_ABIS:
        for file, contract in contracts.items():
            if not (folder / f"{file}.json").is_file():
                continue
            abi = json.loads((folder / f"{file}.json").read_text())
            for fn in (abi["abi"] if isinstance(abi, dict) else abi):
                if fn["type"] == "function":
                    known = ledger._selectors(contract).get(function_abi_to_4byte_selector(fn))
                    answered = known is not None and (contract, fn["name"]) in ledger.FUNCTIONS
                    assert answered != (fn["name"] in OWNER_ONLY), (folder.name, file, fn["name"])
                    checked += 1
    assert checked > 50
