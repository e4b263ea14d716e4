"""Indexing the subgraph: more than a page of every entity, a block larger than a page, one pinned block
per pass (the deposit events' and the backend's own), idempotent re-runs, and a subgraph outage or an RPC failure midway that loses and duplicates
nothing."""
import pytest

from deposits.models import DepositEvent
from deposits.services import deposit_events_sync
from octant.chain.backends import get_chain
from octant.chain.models import IndexCursor, IndexedVaultRoot, IndexedWithdrawal
from octant.core.exceptions import ChainUnavailable
from projects.models import Project
from tests.peers import SubgraphData

from .support import index_pass

USERS = [f"0x{i:040x}" for i in range(1, 41)]


def _event(kind, n, block, **fields):
    return {"id": f"0x{kind:02x}{n:070x}", "blockNumber": block, "timestamp": 1_700_000_000 + block * 12,
            "transactionHash": f"0x{n:064x}", **fields}


def fixture_rows():
    """lockeds: 3 a block, then one block of 1,100, then 2 a block (1,900); unlockeds one a block (1,200);
    withdrawals two a block (1,100); merkle roots one a block (1,050)."""
    locked_blocks = [b for b in range(1, 201) for _ in range(3)] + [300] * 1100 + [b for b in range(301, 401) for _ in range(2)]
    rows = {
        "lockeds": [_event(1, n, b, depositBefore=n, amount=10**18 + n, user=USERS[n % 40])
                    for n, b in enumerate(locked_blocks)],
        "unlockeds": [_event(2, n, n + 1, depositBefore=10**20, amount=n + 1, user=USERS[n % 40]) for n in range(1200)],
        "withdrawals": [_event(3, n, n // 2 + 1, amount=n + 1, epoch=1 + n % 7, user=USERS[n % 40]) for n in range(1100)],
        "vaultMerkleRoots": [_event(4, n, n + 1, epoch=n + 1, root=f"0x{n + 1:064x}") for n in range(1050)],
    }
    return rows, {"lockeds": 1900, "unlockeds": 1200, "withdrawals": 1100, "vaultMerkleRoots": 1050}


@pytest.fixture
def big_subgraph(deployment):
    rows, counts = fixture_rows()
    deployment.subgraph.data = SubgraphData(rows, head=1300)
    deployment.subgraph.queries = []
    return deployment, counts


def stored():
    return {"lockeds": DepositEvent.objects.filter(type="lock").count(),
            "unlockeds": DepositEvent.objects.filter(type="unlock").count(),
            "withdrawals": IndexedWithdrawal.objects.count(), "vaultMerkleRoots": IndexedVaultRoot.objects.count()}


def test_pages_through_every_entity_pinned_to_one_block(big_subgraph):
    chain, counts = big_subgraph
    result = index_pass()
    assert stored() == counts
    assert result == {"depositEvents": 3100, "withdrawals": 1100, "vaultRoots": 1050, "projects": 0, "block": 1300}
    assert DepositEvent.objects.values("key").distinct().count() == 3100
    assert set(IndexCursor.objects.values_list("entity", "block")) == {
        ("lockeds", 1300), ("unlockeds", 1300), ("withdrawals", 1300), ("vaultMerkleRoots", 1300)}
    queries = chain.subgraph.queries
    assert all("skip" not in q for q in queries)
    assert sum("number: $pin" in q for q in queries) == len(queries) - 2  # all but the two head reads are pinned
    # events keep the subgraph's fields
    event = DepositEvent.objects.get(key=f"subgraph:0x01{5:070x}")
    assert (event.address, event.amount, event.before, event.after, event.block_number) == (
        "0x0000000000000000000000000000000000000006", 10**18 + 5, 5, 10**18 + 10, 2)

    # a second pass adds nothing; new blocks are picked up from the cursor
    assert index_pass()["depositEvents"] == 0
    chain.subgraph.data.extend("lockeds", [_event(1, 10**6, 1301, depositBefore=0, amount=7, user=USERS[0])])
    assert index_pass()["depositEvents"] == 1
    assert stored()["lockeds"] == 1901


def test_a_pass_does_not_read_past_its_pinned_block(big_subgraph):
    chain, _ = big_subgraph
    data = chain.subgraph.data
    data.extend("lockeds", [_event(1, 10**6, 5000, depositBefore=0, amount=7, user=USERS[0])])
    data.head = 4000  # indexed up to 4000, the event at block 5000 is not visible yet
    index_pass()
    assert stored()["lockeds"] == 1900 and IndexCursor.block_of("lockeds") == 4000


def test_subgraph_outage_midway_resumes_without_loss_or_duplicates(big_subgraph, settings):
    chain, counts = big_subgraph
    settings.SUBGRAPH_BATCH_ROWS = 500  # a transaction every page
    chain.subgraph.faults = [None, None, None] + [503] * 20  # the head read and two pages, then it is down
    with pytest.raises(ChainUnavailable):
        index_pass()
    partial = stored()
    assert 0 < partial["lockeds"] < counts["lockeds"] and partial["unlockeds"] == 0
    assert IndexCursor.block_of("lockeds") > 0
    chain.subgraph.faults = []
    index_pass()
    assert stored() == counts
    assert DepositEvent.objects.values("key").distinct().count() == DepositEvent.objects.count()


def test_subgraph_unreachable(deployment, settings):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    settings.SUBGRAPH_ENDPOINT = f"http://127.0.0.1:{port}/"
    from octant.chain import backends

    backends._instances.pop("ethereum", None)
    with pytest.raises(ChainUnavailable):
        deposit_events_sync()
    assert get_chain().health() == {"blockchain": True, "subgraph": False}
    assert DepositEvent.objects.count() == 0


def test_rpc_error_midway_resumes(deployment, settings):
    chain = deployment
    alice = chain.account(31)
    chain.set_projects(1, ["0x1111111111111111111111111111111111111111"])
    chain.travel(chain.start + 1)
    chain.lock(alice, 500 * 10**18)
    chain.unlock(alice, 100 * 10**18)
    chain.sync_subgraph()
    settings.ETH_RPC_RETRIES = 1
    chain.rpc.faults = [500] * 10  # the node fails after the subgraph pages are stored
    with pytest.raises(Exception):
        index_pass()
    assert DepositEvent.objects.count() == 2 and Project.objects.count() == 0
    chain.rpc.faults = []
    result = index_pass()
    assert result["depositEvents"] == 0 and result["projects"] == 2  # epochs 1 and 2 (the fall-back list)
    assert DepositEvent.objects.count() == 2
    assert list(DepositEvent.objects.values_list("type", "before", "after")) == [
        ("lock", 0, 500 * 10**18), ("unlock", 500 * 10**18, 400 * 10**18)]


def test_transient_rpc_errors_are_retried_and_reverts_are_not(deployment, settings):
    chain = deployment
    backend = get_chain()
    chain.rpc.faults = [429, {"code": -32005, "message": "rate limit exceeded"}, 503]
    assert backend.current_epoch() == 0  # three transient failures, then the revert "not started" reads as 0
    assert chain.rpc.faults == []
    before = chain.rpc.calls["eth_call"]
    assert backend.pending_epoch() is None and backend.finalized_epoch() == 0
    assert chain.rpc.calls["eth_call"] - before == 2  # one call each: a revert is never retried
    settings.ETH_RPC_RETRIES = 1
    chain.rpc.faults = [503, 503, 503]
    with pytest.raises(Exception):
        backend.current_epoch()
