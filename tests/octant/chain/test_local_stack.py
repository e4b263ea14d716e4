"""A user of the local stack through a restart: a wallet locks GLM through `/rpc` (approve and lock signed with
eth-account), the stack snapshots the epoch, the wallet allocates, the stack finalizes and sets the Vault's root,
the wallet withdraws with its merkle proof; then the server stops and a new process starts on the same
database: the lock, the budget and the withdrawal are all still there, in the API, on `/rpc` and in the
subgraph."""
import requests

from tests.fixtures.window import PROJECTS, sign
from tests.peers import ETH, GLM, LocalStack


def test_a_lock_a_budget_and_a_withdrawal_survive_a_restart(db, scratch_database_url):
    stack = LocalStack(scratch_database_url, env={"EPOCH_RULES": "current"})
    try:
        alice = stack.account(0x41)
        stack.set_projects(1, PROJECTS)
        stack.chain("proceeds", 1, 100 * ETH)
        stack.travel(stack.start + 1)
        stack.lock(alice, 10_000 * GLM)
        [lock] = stack.deposits.events.Locked().get_logs(from_block=0)
        assert lock["args"]["user"] == alice.address

        stack.travel(stack.start + stack.duration + 1)
        assert stack.tick()["pendingSnapshot"] == 1
        budget = int(requests.get(f"{stack.url}rewards/budget/{alice.address}/epoch/1", timeout=10).json()["budget"])
        assert budget > 0
        allocated = requests.post(f"{stack.url}allocations/allocate", json=sign(alice, [(PROJECTS[0], budget // 2)], 0),
                                  timeout=10)
        assert allocated.status_code == 201, allocated.text
        stack.travel(stack.start + stack.duration + stack.window + 1)
        assert stack.tick()["vaultRoots"] == [1]
        [entry] = requests.get(f"{stack.url}withdrawals/{alice.address}", timeout=10).json()
        assert entry["status"] == "available" and int(entry["amount"]) == budget - budget // 2
        withdrawal = stack.w3.eth.wait_for_transaction_receipt(stack.vault.functions.batchWithdraw(
            [(1, int(entry["amount"]), entry["proof"])]).transact({"from": alice.address}))
        assert withdrawal["status"] == 1

        def state() -> dict:
            get = lambda path: requests.get(stack.url + path, timeout=10).json()  # noqa: E731
            subgraph = requests.post(stack.url + "subgraphs/name/octant", timeout=10, json={
                "query": "query($a: Bytes) { lockeds(where: {user: $a}) { amount transactionHash } "
                         "withdrawals(where: {user: $a}) { amount epoch transactionHash } }",
                "variables": {"a": alice.address}}).json()
            return {"history": [(i["type"], i["eventData"]["amount"], i["eventData"]["transactionHash"])
                                for i in get(f"history/{alice.address}")["history"]],
                    "budget": get(f"rewards/budget/{alice.address}/epoch/1"),
                    "withdrawals": get(f"withdrawals/{alice.address}"),
                    "deposit": stack.deposits.functions.deposits(alice.address).call(),
                    "claimed": stack.vault.functions.lastClaimedEpoch(alice.address).call(),
                    "eth": stack.w3.eth.get_balance(alice.address),
                    "receipts": [stack.w3.eth.get_transaction_receipt(h)["blockNumber"]
                                 for h in (lock["transactionHash"], withdrawal["transactionHash"])],
                    "subgraph": subgraph}

        before = state()
        assert ("lock", str(10_000 * GLM), "0x" + lock["transactionHash"].hex()) in before["history"]
        assert ("withdrawal", entry["amount"], "0x" + withdrawal["transactionHash"].hex()) in before["history"]
        assert before["budget"] == {"budget": str(budget)} and before["withdrawals"] == []
        assert (before["deposit"], before["claimed"], before["eth"]) == (
            10_000 * GLM, 1, 10 * ETH + int(entry["amount"]))
        assert before["subgraph"]["data"] == {
            "lockeds": [{"amount": str(10_000 * GLM), "transactionHash": "0x" + lock["transactionHash"].hex()}],
            "withdrawals": [{"amount": entry["amount"], "epoch": 1,
                             "transactionHash": "0x" + withdrawal["transactionHash"].hex()}]}
        head = stack.w3.eth.block_number

        stack.stop()
        stack.start_server()  # a new process on the same database
        assert state() == before and stack.w3.eth.block_number == head
    finally:
        stack.stop()
