"""Finalized snapshot of an epoch with 100,000 users and 1,000,000 allocations, its merkle tree and
GET /withdrawals/{address}.

    .venv/bin/python -m bench finalize

`load` (one process) bulk-loads the same capped-QF epoch as the allocation benchmark
(bench._data.load_allocation_epoch). `finalize` (a process of its own, so the peak RSS is the
finalization's) moves the local chain clock past the epoch's allocation window and times
`lifecycle.snapshots.finalized_snapshot_take()`, then `withdrawals.selectors.merkle_tree()` from a cleared
cache (reads the reward rows and builds the tree), then GET /withdrawals/{address} through Django's test
Client with a cold and a warm tree cache, then the epoch's verification (lifecycle.verification.epoch_verify,
docs/lifecycle.md §1.9). Targets: finalization under 60 s, merkle tree under 5 s, verification under 60 s.
"""
import sys
import time

from bench import _backends, _data

USERS, ALLOCATIONS = int(100_000 * _data.SCALE), int(1_000_000 * _data.SCALE)
TARGET_FINALIZE, TARGET_MERKLE, TARGET_VERIFY = 60.0, 5.0, 60.0


def load() -> dict:
    migrated = _backends.migrate()
    started = time.perf_counter()
    loaded = _data.load_allocation_epoch(users=USERS, allocations=ALLOCATIONS)
    return {"migrate": migrated, "load": time.perf_counter() - started, **loaded}


def finalize() -> dict:
    from django.test import Client

    from epochs.models import FinalizedEpochSnapshot
    from epochs.selectors import chain_view
    from lifecycle.snapshots import finalized_snapshot_take
    from lifecycle.verification import epoch_verify
    from octant.chain.backends import get_chain
    from withdrawals import selectors
    from withdrawals.models import Reward

    get_chain().set_time(timestamp=_data.epoch_start(_data.EPOCH + 1) + _data.WINDOW + 60)
    baseline = _backends.peak_mib()
    started = time.perf_counter()
    taken = finalized_snapshot_take(view=chain_view())
    seconds = time.perf_counter() - started
    peak = _backends.peak_mib()
    assert taken == _data.EPOCH, taken

    selectors._tree.cache_clear()
    started = time.perf_counter()
    tree, leaves = selectors.merkle_tree(epoch=_data.EPOCH)
    merkle = time.perf_counter() - started
    assert tree.root == FinalizedEpochSnapshot.objects.get(epoch=_data.EPOCH).withdrawals_merkle_root

    address = _data.keyed_accounts(1, start=_data.KEYED_FRESH)[0].address  # allocated part of their budget
    client = Client()
    client.get("/info/version")  # the first request through Django imports and resolves its modules
    selectors._tree.cache_clear()
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        response = client.get(f"/withdrawals/{address}")
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200 and response.json()[0]["proof"], response.content[:300]
    started = time.perf_counter()
    report = epoch_verify(epoch=_data.EPOCH)
    verify = time.perf_counter() - started
    # the bulk-loaded epoch has budgets but no effective deposits behind them: those checks fail, every one runs
    failed = sorted(check["name"] for check in report.checks if not check["passed"])
    return {"seconds": seconds, "baseline_mib": baseline, "peak_mib": peak, "merkle": merkle,
            "verify": verify, "verify_checks": len(report.checks), "verify_failed": failed,
            "leaves": len(leaves), "rewards": Reward.objects.filter(epoch=_data.EPOCH).count(),
            "withdrawals_cold": timings[0] * 1000, "withdrawals_warm": timings[1] * 1000,
            "proof_length": len(response.json()[0]["proof"])}


def main() -> int:
    result = _backends.run_phases("bench.bench_finalize", "octant_bench_finalize", ["load", "finalize"])
    print(f"finalization, {USERS:,} users / {ALLOCATIONS:,} allocations / 100 projects, epoch {_data.EPOCH}")
    header = (f"{'load s':>7} {'finalize s':>11} {'peak RSS MiB':>13} {'merkle s':>9} "
              f"{'leaves':>8} {'GET /withdrawals cold/warm ms':>30}  targets <{TARGET_FINALIZE:g} s, "
              f"merkle <{TARGET_MERKLE:g} s")
    print(header)
    print("-" * len(header))
    loaded, m = result["load"], result["finalize"]
    ok = m["seconds"] < TARGET_FINALIZE and m["merkle"] < TARGET_MERKLE and m["verify"] < TARGET_VERIFY
    print(f"{loaded['load']:>7.1f} {m['seconds']:>11.2f} {m['peak_mib']:>13.0f} {m['merkle']:>9.2f} "
          f"{m['leaves']:>8,} {m['withdrawals_cold']:>18.1f} / {m['withdrawals_warm']:<9.1f}  "
          f"{'ok' if ok else 'MISSED'}")
    print(f"peak RSS before finalizing {m['baseline_mib']:.0f} MiB; {m['rewards']:,} reward rows; "
          f"proof of {m['proof_length']} hashes")
    print(f"verification {m['verify']:.2f} s (target <{TARGET_VERIFY:g} s), {m['verify_checks']} checks; failed (the "
          f"synthetic budgets have no effective deposits): {', '.join(m['verify_failed']) or 'none'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(_backends.worker(sys.argv[1:], {"load": load, "finalize": finalize}) if sys.argv[1:] else main())
