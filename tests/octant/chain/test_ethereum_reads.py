"""Contract reads of the ethereum backend against our contracts on the in-process EVM."""
import pytest
from eth_account import Account

from octant.chain.backends import get_chain
from octant.chain.epoch_math import EpochTiming
from octant.chain.models import StoredProceeds
from octant.core import signatures
from projects.models import Project

from .support import ETH, GLM, index_pass

P1, P2 = "0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222"


def test_epochs_follow_the_contract_and_its_revert_rules(deployment):
    chain, backend = deployment, get_chain()
    start, d, w = chain.start, chain.duration, chain.window
    assert backend.epoch_view()[1:] == (0, None, 0, False)  # before the start every read reverts
    chain.travel(start)
    assert backend.epoch_view()[1:] == (1, None, 0, False)
    chain.travel(start + d + w)  # epoch 2, the window of epoch 1 open (inclusive bound)
    assert backend.epoch_view() == (start + d + w, 2, 1, 0, True)
    chain.travel(start + d + w + 1)
    assert backend.epoch_view()[1:] == (2, None, 1, False)
    chain.travel(start + 2 * d + 5)
    assert backend.epoch_view()[1:] == (3, 2, 1, True)
    assert backend.current_epoch() == 3 and backend.pending_epoch() == 2 and backend.finalized_epoch() == 1
    assert backend.is_decision_window_open()
    # started epochs from the subgraph, later ones from the contract's props (a change applies next epoch)
    chain.epochs.functions.setEpochProps(2000, 100).transact({"from": chain.multisig})
    chain.sync_subgraph()
    assert backend.epoch_timing(2) == EpochTiming(2, start + d, d, w)
    assert backend.epoch_timing(3) == EpochTiming(3, start + 2 * d, d, w)
    assert backend.epoch_timing(4) == EpochTiming(4, start + 3 * d, 2000, 100)
    assert backend.epoch_timing(5) == EpochTiming(5, start + 3 * d + 2000, 2000, 100)
    status = backend.status()
    assert (status["currentEpoch"], status["epochStart"], status["epochEnd"]) == (3, start + 2 * d, start + 3 * d)


def test_deposits_projects_and_vault(deployment):
    chain, backend = deployment, get_chain()
    alice = chain.account(41)
    chain.lock(alice, 300 * GLM)
    chain.unlock(alice, 100 * GLM)
    assert backend.total_locked() == 200 * GLM
    chain.set_projects(2, [P1, P2])
    chain.set_projects(4, [P2])
    rows = backend.project_rows(range(1, 6))
    assert [(r["epoch"], r["address"]) for r in rows] == [(2, P1), (2, P2), (3, P1), (3, P2), (4, P2), (5, P2)]
    assert backend.projects_cids({2, 12}) == {2: "QmCid", 12: "QmCid"}
    assert backend.vault_merkle_root(1) is None and backend.last_claimed_epoch(alice.address) == 0
    chain.vault.functions.setMerkleRoot(1, b"\x01" * 32).transact({"from": chain.multisig})
    assert backend.vault_merkle_root(1) == "0x" + "01" * 32
    assert backend.contract_addresses()["Vault"] == chain.vault.address
    assert backend.chain_id() == chain.w3.eth.chain_id
    assert backend.block_height() == chain.w3.eth.block_number
    assert backend.health() == {"blockchain": True, "subgraph": True}


def test_contracts_eoas_and_eip7702_delegations(deployment):
    chain, backend = deployment, get_chain()
    owner = chain.account(42)
    wallet = chain.wallet_for(owner)
    assert backend.is_contract(wallet.address) and not backend.is_contract(owner.address)
    delegated = Account.from_key(b"\x2b" * 32).address
    chain.rpc.code[delegated.lower()] = "0xef0100" + "11" * 20  # an EIP-7702 delegation: still an EOA
    assert not backend.is_contract(delegated)
    chain.rpc.code[delegated.lower()] = "0xef0100" + "11" * 21  # not a delegation designator
    assert backend.is_contract(delegated)


def test_eip1271_legacy_magic_value(deployment):
    chain, backend = deployment, get_chain()
    owner, stranger = chain.account(43), chain.account(44)
    wallet = chain.wallet_for(owner)
    digest = signatures.eip191_digest("Hello")
    good = "0x" + Account.unsafe_sign_hash(digest, owner.key).signature.hex()
    bad = "0x" + Account.unsafe_sign_hash(digest, stranger.key).signature.hex()
    assert backend.is_valid_eip1271_signature(wallet.address, digest, good)
    assert not backend.is_valid_eip1271_signature(wallet.address, digest, bad)
    assert not backend.is_valid_eip1271_signature(wallet.address, digest, "0x1234")  # the wallet reverts
    assert not backend.is_valid_eip1271_signature(owner.address, digest, good)  # no code: no answer
    assert signatures.verify_signature(wallet.address, "Hello", good, is_contract=True, eip1271_call=lambda a, d, s: (
        signatures.EIP1271_MAGIC_VALUE if backend.is_valid_eip1271_signature(a, d, "0x" + s.hex()) else b"\0" * 4))


def test_testnet_proceeds_are_the_target_balance_less_the_surplus(deployment, settings):
    chain, backend = deployment, get_chain()
    settings.EPOCH_2_STAKING_PROCEEDS_SURPLUS = 3 * ETH
    chain.fund(chain.target.address, eth=10 * ETH)
    chain.travel(chain.start + 1)
    assert backend.staking_proceeds(1) == 7 * ETH  # the current epoch: read, not stored
    assert not StoredProceeds.objects.exists()
    chain.travel(chain.start + chain.duration + 1)
    assert backend.staking_proceeds(1) == 7 * ETH  # ended: stored at its first read
    chain.fund(chain.target.address, eth=1 * ETH)
    assert backend.staking_proceeds(1) == 7 * ETH and backend.staking_proceeds(2) == 8 * ETH
    settings.EPOCH_2_STAKING_PROCEEDS_SURPLUS = 100 * ETH
    assert backend.staking_proceeds(2) == 0  # never negative


@pytest.mark.parametrize("name", ["ETH_RPC_PROVIDER_URL", "SUBGRAPH_ENDPOINT"])
def test_missing_settings_are_reported(deployment, settings, name):
    from octant.chain import backends
    from octant.core.exceptions import ChainError

    setattr(settings, name, "")
    backends._instances.pop("ethereum", None)
    with pytest.raises(ChainError if name == "ETH_RPC_PROVIDER_URL" else Exception):
        index_pass()


def test_project_metadata_cids_on_mainnet_follow_v2s_list_then_the_contract(deployment, settings, api):
    chain, backend = deployment, get_chain()
    assert settings.MAINNET_PROPOSAL_CIDS[0] == "QmSQEFD35gKxdPEmngNt1CWe3kSwiiGqBn1Z3FZvWb8mvK"
    assert settings.MAINNET_PROPOSAL_CIDS[10].startswith("bafybeieler566") and len(settings.MAINNET_PROPOSAL_CIDS) == 11
    settings.CHAIN_ID, settings.MAINNET_PROPOSAL_CIDS = 1, ["QmFirst", "QmSecond"]
    assert backend.projects_cids({0, 1, 2, 3}) == {0: "QmCid", 1: "QmFirst", 2: "QmSecond", 3: "QmCid"}
    # through the API: /projects/epoch/N names the CID, and /ipfs/{it}/{address} serves what staff entered
    chain.travel(chain.start + 10)
    chain.set_projects(2, [P1])
    index_pass()
    Project.objects.filter(address=P1).update(name="One", intro_description="Epoch 2's words.")
    assert api.get("/projects/epoch/2").json() == {"projectsAddresses": [P1], "projectsCid": "QmSecond"}
    assert api.get(f"/ipfs/QmSecond/{P1}").json()["introDescription"] == "Epoch 2's words."
    assert api.get(f"/ipfs/QmFirst/{P1}").status_code == 404  # epoch 1 had no projects
    settings.CHAIN_ID = 1337  # elsewhere: the contract's one CID for every epoch, the latest epoch's words
    Project.objects.create(epoch=3, address=P1, intro_description="Epoch 3's words.")
    assert api.get("/projects/epoch/2").json()["projectsCid"] == "QmCid"
    assert api.get(f"/ipfs/QmCid/{P1}").json()["introDescription"] == "Epoch 3's words."
