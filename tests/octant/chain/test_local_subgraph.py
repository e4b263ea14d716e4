"""The local chain's Octant subgraph (`/subgraphs/name/octant`: octant/chain/graph.py): graph-node's query API over
the real schema, the entities built as the subgraph's mappings build them. Every query of Octant's web client
(read from its source, ../shared/octant-client) and of our ethereum backend (octant/chain/subgraph.py, over
HTTP) is answered with the right shape."""
import re
from pathlib import Path

import pytest
from django.conf import settings
from eth_account import Account
from eth_hash.auto import keccak

from octant.chain import rpc
from octant.chain.backends import get_chain
from octant.chain.blocks import encode_args, selector
from octant.chain.subgraph import Subgraph

from tests.fixtures.chain import DURATION, START, WINDOW

GLM = ETH = 10**18
CLIENT_HOOKS = Path(settings.BASE_DIR).parent / "shared" / "octant-client" / "client" / "src" / "hooks" / "subgraph"
ALICE, BOB = Account.from_key(b"\x61" * 32), Account.from_key(b"\x62" * 32)
P1, P2, P3 = ("0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222",
              "0x3333333333333333333333333333333333333333")

needs_schema = pytest.mark.skipif(
    not (Path(settings.OCTANT_SUBGRAPH_DIR) / "tools" / "thegraph_schema.py").is_file(),
    reason=f"no Octant subgraph source at OCTANT_SUBGRAPH_DIR ({settings.OCTANT_SUBGRAPH_DIR})")
pytestmark = needs_schema


def query(api, text: str, **variables) -> dict:
    response = api.post("/subgraphs/name/octant", {"query": text, "variables": variables}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def data(api, text: str, **variables) -> dict:
    answer = query(api, text, **variables)
    assert "errors" not in answer, answer
    return answer["data"]


def withdraw(account, epoch: int, amount: int) -> str:
    """`batchWithdraw([(epoch, amount, [])])` signed by `account` and sent through the node: the epoch's root is
    the account's leaf itself, so the proof is empty."""
    vault = get_chain().contract_addresses()["Vault"]
    call = selector("batchWithdraw", ["(uint256,uint256,bytes32[])[]"])
    from eth_abi import encode

    raw = account.sign_transaction({"to": vault, "data": call + encode(["(uint256,uint256,bytes32[])[]"],
                                                                     [[(epoch, amount, [])]]),
                                    "gas": 200_000, "gasPrice": 0, "nonce": 0, "value": 0,
                                    "chainId": settings.CHAIN_ID}).raw_transaction
    answer, mined = rpc.answer({"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction",
                                "params": ["0x" + raw.hex()]})
    assert mined, answer
    return answer["result"]


def leaf(address: str, amount: int) -> str:
    return "0x" + keccak(keccak(encode_args(["address", "uint256"], [address, amount]))).hex()


@pytest.fixture
def history(db):
    """Epoch 1 (START) with Alice's and Bob's locks and an unlock, projects for epochs 1 and 2, then epoch 2 with
    the vault root of epoch 1 and Alice's withdrawal; the head block of each step."""
    chain = get_chain()
    chain.set_time(timestamp=START - 100)
    chain.configure(start=START, duration=DURATION, decision_window=WINDOW)
    chain.set_time(timestamp=START + 10)
    chain.lock(ALICE.address, 1_000 * GLM)
    heads = {"alice": chain.block_height()}
    chain.set_time(timestamp=START + 20)
    chain.lock(BOB.address, 3_000 * GLM)
    chain.unlock(ALICE.address, 400 * GLM)
    chain.add_project(1, P1)
    chain.add_project(1, P2)
    chain.add_project(2, P3)
    heads["epoch1"] = chain.block_height()
    chain.set_time(timestamp=START + DURATION + WINDOW + 5)
    chain.set_vault_merkle_root(1, leaf(ALICE.address, 5 * ETH), fund=5 * ETH)
    heads["withdrawal"] = withdraw(ALICE, 1, 5 * ETH)
    return chain, heads


def test_entities_as_the_mappings_build_them(api, history):
    chain, heads = history
    d = data(api, """{
      lockeds(orderBy: blockNumber) { id depositBefore amount user blockNumber timestamp transactionHash }
      unlockeds { depositBefore amount user timestamp }
      withdrawals { amount epoch user timestamp transactionHash }
      vaultMerkleRoots { epoch root }
      lockedSummaryLatest(id: "latest") { id glmSupply lockedTotal lockedRatio }
      lockedSummarySnapshots(orderBy: blockNumber) { lockedTotal }
      epoches(orderBy: epoch) { id epoch fromTs toTs duration decisionWindow }
      projectsMetadataPerEpoches(orderBy: epoch) { id epoch proposalsCid projectsAddresses }
      projectsMetadataAccumulateds { id projectsAddresses }
      _meta { block { number timestamp } deployment hasIndexingErrors }
    }""")
    alice, bob = ALICE.address.lower(), BOB.address.lower()
    assert [(r["user"], r["amount"], r["depositBefore"], r["timestamp"]) for r in d["lockeds"]] == [
        (alice, str(1_000 * GLM), "0", START + 10), (bob, str(3_000 * GLM), "0", START + 20)]
    first = d["lockeds"][0]
    assert first["id"] == first["transactionHash"] + "02000000"  # the hash, then log index 2 (little-endian)
    receipt = rpc.answer({"jsonrpc": "2.0", "id": 1, "method": "eth_getTransactionReceipt",
                          "params": [first["transactionHash"]]})[0]["result"]
    assert int(receipt["blockNumber"], 16) == first["blockNumber"] == heads["alice"]
    assert d["unlockeds"] == [{"depositBefore": str(1_000 * GLM), "amount": str(400 * GLM), "user": alice,
                               "timestamp": START + 20}]
    assert d["withdrawals"] == [{"amount": str(5 * ETH), "epoch": 1, "user": alice,
                                 "timestamp": START + DURATION + WINDOW + 5, "transactionHash": heads["withdrawal"]}]
    assert d["vaultMerkleRoots"] == [{"epoch": 1, "root": leaf(ALICE.address, 5 * ETH)}]
    assert d["lockedSummaryLatest"] == {"id": "latest", "glmSupply": str(10**27), "lockedTotal": str(3_600 * GLM),
                                        "lockedRatio": "0.0000036"}
    assert [r["lockedTotal"] for r in d["lockedSummarySnapshots"]] == [str(1_000 * GLM), str(4_000 * GLM),
                                                                       str(3_600 * GLM)]
    assert d["epoches"] == [{"id": "0x01000000", "epoch": 1, "fromTs": str(START), "toTs": str(START + DURATION),
                             "duration": str(DURATION), "decisionWindow": str(WINDOW)},
                            {"id": "0x02000000", "epoch": 2, "fromTs": str(START + DURATION),
                             "toTs": str(START + 2 * DURATION), "duration": str(DURATION),
                             "decisionWindow": str(WINDOW)}]
    assert d["projectsMetadataPerEpoches"] == [
        {"id": "0x01000000", "epoch": 1, "proposalsCid": "", "projectsAddresses": [P1, P2]},
        {"id": "0x02000000", "epoch": 2, "proposalsCid": "", "projectsAddresses": [P3]}]
    assert d["projectsMetadataAccumulateds"] == [{"id": "0x00000000", "projectsAddresses": [P1, P2, P3]}]
    assert d["_meta"] == {"block": {"number": chain.block_height(), "timestamp": chain.now()},
                          "deployment": "octant-local", "hasIndexingErrors": False}


def test_the_query_api(api, history):
    chain, heads = history
    alice = ALICE.address
    # block pinning: the state at an earlier block; a block beyond the head is an error
    pinned = data(api, "query($n: Int) { lockeds(block: {number: $n}) { user } lockedSummaryLatest(id: \"latest\", "
                       "block: {number: $n}) { lockedTotal } epoches(block: {number: $n}) { epoch } "
                       "_meta(block: {number: $n}) { block { number } } }", n=heads["alice"])
    assert pinned == {"lockeds": [{"user": alice.lower()}], "lockedSummaryLatest": {"lockedTotal": str(1_000 * GLM)},
                      "epoches": [{"epoch": 1}], "_meta": {"block": {"number": heads["alice"]}}}
    beyond = query(api, "{ lockeds(block: {number: %d}) { id } }" % (chain.block_height() + 1))
    assert "has only indexed up to block number" in beyond["errors"][0]["message"]
    by_hash = data(api, "{ _meta { block { hash } } }")["_meta"]["block"]["hash"]
    assert data(api, '{ _meta(block: {hash: "%s"}) { block { number } } }' % by_hash)["_meta"]["block"]["number"] == \
        chain.block_height()

    # where: the operator suffixes, a checksummed Bytes value, and/or; order, first and skip
    def where(text, **variables):
        declared = "($a: Bytes)" if variables else ""
        return [r["amount"] for r in data(api, f"query{declared} {{ lockeds(orderBy: amount, where: {text}) "
                                               "{ amount } }", **variables)["lockeds"]]

    assert where("{user: $a}", a=alice) == [str(1_000 * GLM)]
    assert where("{user_not: $a}", a=alice) == [str(3_000 * GLM)]
    assert where('{amount_gt: "1000000000000000000000"}') == [str(3_000 * GLM)]
    assert where('{amount_in: ["1", "1000000000000000000000"]}') == [str(1_000 * GLM)]
    assert where("{timestamp_gte: %d, timestamp_lt: %d}" % (START + 10, START + 20)) == [str(1_000 * GLM)]
    assert where('{or: [{user: $a}, {amount_lte: "1"}]}', a=alice) == [str(1_000 * GLM)]
    assert where('{and: [{blockNumber_gt: 0}, {user_contains: "bbbb"}]}') == []
    assert data(api, '{ projectsMetadataAccumulateds(where: {projectsAddresses_contains: ["%s"]}) { id } }'
                % P3)["projectsMetadataAccumulateds"] == [{"id": "0x00000000"}]
    ordered = data(api, "{ a: lockedSummarySnapshots(orderBy: lockedTotal, orderDirection: desc, first: 2) "
                        "{ lockedTotal } b: lockedSummarySnapshots(orderBy: lockedTotal, skip: 1, first: 1) "
                        "{ lockedTotal } }")
    assert ordered == {"a": [{"lockedTotal": str(4_000 * GLM)}, {"lockedTotal": str(3_600 * GLM)}],
                       "b": [{"lockedTotal": str(3_600 * GLM)}]}
    assert "between 0 and 1000" in query(api, "{ lockeds(first: 1001) { id } }")["errors"][0]["message"]
    assert query(api, "{ lockeds { nope } }")["errors"][0]["message"].startswith("Cannot query field 'nope'")
    assert api.post("/subgraphs/name/octant", "{", content_type="application/json").status_code == 400


def test_without_the_subgraph_source_it_says_so(api, db, settings, tmp_path):
    from octant.chain import graph

    graph.api_schema.cache_clear()
    settings.OCTANT_SUBGRAPH_DIR = tmp_path
    try:
        response = api.post("/subgraphs/name/octant", {"query": "{ _meta { deployment } }"}, format="json")
        assert response.status_code == 503 and "OCTANT_SUBGRAPH_DIR" in response.json()["errors"][0]["message"]
    finally:
        graph.api_schema.cache_clear()


def _client_queries() -> dict[str, str]:
    return {match.group(1): match.group(0) for path in sorted(CLIENT_HOOKS.glob("*.ts"))
            for match in re.finditer(r"query (\w+)[^`]*", path.read_text())}


# the variables each of the client's queries is sent with, and what its answer must hold
CLIENT = {
    "GetProjectsMetadataAccumulateds": ({}, lambda d: d["projectsMetadataAccumulateds"][0]["projectsAddresses"]
                                        == [P1, P2, P3]),
    "GetBlockNumber": ({}, lambda d: isinstance(d["_meta"]["block"]["number"], int)),
    "GetEpochTimestampHappenedIn": ({"timestamp": START + DURATION + 1}, lambda d: d["epoches"] == [{"epoch": 2}]),
    "GetEpoches": ({}, lambda d: d["epoches"] == [{"epoch": 1}, {"epoch": 2}]),
    "GetEpochsStartEndTime": ({"lastEpoch": 2}, lambda d: [e["toTs"] for e in d["epoches"]] == [
        str(START + DURATION), str(START + 2 * DURATION)] and d["epoches"][0]["decisionWindow"] == str(WINDOW)),
    "GetLargestLockedAmount": ({}, lambda d: d["lockeds"] == [{"amount": str(3_000 * GLM)}]),
    "GetLockedSummaryLatest": ({}, lambda d: d["lockedSummaryLatest"]["lockedTotal"] == str(3_600 * GLM)),
    "GetLockedSummarySnapshots": ({"first": 1000, "skip": 0}, lambda d: len(d["lockedSummarySnapshots"]) == 3),
    "GetLockedsData": ({"first": 1000, "skip": 0}, lambda d: {r["user"] for r in d["lockeds"]} == {
        ALICE.address.lower(), BOB.address.lower()}),
    "GetProjectsMetadataPerEpoches": ({}, lambda d: [r["epoch"] for r in d["projectsMetadataPerEpoches"]] == [1, 2]),
    "GetUserWithdrawals": ({"address": ALICE.address}, lambda d: d["withdrawals"] == [{"amount": str(5 * ETH)}]),
}


@pytest.mark.skipif(not CLIENT_HOOKS.is_dir(), reason=f"no Octant web client source at {CLIENT_HOOKS}")
def test_every_query_of_the_web_client(api, history):
    queries = _client_queries()
    assert set(queries) == set(CLIENT), "a query of the client this test does not know"
    for name, text in queries.items():
        variables, holds = CLIENT[name]
        answer = data(api, text, **variables)
        assert holds(answer), (name, answer)


def test_every_query_of_our_ethereum_backend(live_server, transactional_db):
    """octant/chain/subgraph.py as the ethereum backend runs it, over HTTP: the head, an epoch's timing, and the
    deposit events paged by block from a cursor at one pinned block (pages of 2)."""
    chain = get_chain()
    chain.set_time(timestamp=START - 100)
    chain.configure(start=START, duration=DURATION, decision_window=WINDOW)
    chain.set_time(timestamp=START + 10)
    for n in range(5):
        chain.lock(Account.from_key(bytes([0x70 + n]) * 32).address, (n + 1) * GLM)
    first = chain.block_height()
    subgraph = Subgraph(live_server.url + "/subgraphs/name/octant", timeout=5, page_size=2)
    pinned = subgraph.head()
    assert pinned == chain.block_height()
    assert subgraph.epoch(1) == {"epoch": 1, "fromTs": str(START), "toTs": str(START + DURATION),
                                 "duration": str(DURATION), "decisionWindow": str(WINDOW)}
    assert subgraph.epoch(2) is None
    chain.lock(ALICE.address, GLM)  # after the pinned block: not in this pass
    pages = list(subgraph.pages("lockeds", since=first - 4 - 1, pinned=pinned))
    rows = [r for _, page in pages for r in page]
    assert [int(r["amount"]) for r in rows] == [n * GLM for n in range(1, 6)] and pages[-1][0] == pinned
    assert list(subgraph.pages("unlockeds", since=0, pinned=pinned)) == [(pinned, [])]
    for entity in ("withdrawals", "vaultMerkleRoots"):
        assert list(subgraph.pages(entity, since=0, pinned=pinned)) == [(pinned, [])]
