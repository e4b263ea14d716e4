"""The beat tick on the ethereum backend reads the epoch state once (issue 23 §4): one view of the Epochs
contract, at one block, serves every step of the tick."""
import collections

from lifecycle.tasks import epochs_tick_task

from .support import ETH


def epoch_state_reads(deployment, monkeypatch) -> collections.Counter:
    """From now on, the JSON-RPC requests that read the epoch state, counted as the node answers them: calls to
    the Epochs contract, and reads of the head block (the chain's time)."""
    reads = collections.Counter()
    answer, epochs = deployment.rpc._one, deployment.epochs.address.lower()

    def counting(request, fault):
        params = request.get("params") or []
        if request["method"] == "eth_call" and params[0].get("to", "").lower() == epochs:
            reads["Epochs calls"] += 1
        elif request["method"] == "eth_getBlockByNumber":
            reads["head block"] += 1
        return answer(request, fault)

    monkeypatch.setattr(deployment.rpc, "_one", counting)
    return reads


def test_a_tick_reads_the_epoch_view_once(deployment, monkeypatch):
    chain = deployment
    chain.fund(chain.target.address, eth=100 * ETH)
    chain.travel(chain.start + chain.duration + 1)
    assert epochs_tick_task()["pendingSnapshot"] == 1
    reads = epoch_state_reads(chain, monkeypatch)
    one_view = {"head block": 1, "Epochs calls": 4}  # current, pending, finalized, window open: at one block

    chain.travel(chain.start + chain.duration + 10)
    assert epochs_tick_task() == {"depositEvents": 0, "epochs": 0, "pendingSnapshot": None, "finalizedSnapshot": None,
                             "vaultRoots": []}
    assert reads == one_view  # (13 calls and 2 head blocks while the tick indexed three times)

    reads.clear()
    chain.travel(chain.start + chain.duration + chain.window + 1)
    assert epochs_tick_task()["finalizedSnapshot"] == 1
    assert reads == one_view
