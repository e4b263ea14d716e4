"""Benchmark of the reward engine on synthetic, deterministic data.

    .venv/bin/python -m bench.bench_engine

Each case runs in a fresh interpreter (multiprocessing "spawn"), so its peak memory is its own: the table
shows the peak resident set size of that process and the part of it added by the timed computation
(peak minus the size once the input data was built). Targets: (a) and (b) under 10 s, (c) under 5 s.
"""
import multiprocessing
import random
import resource
import sys
import time
from decimal import Decimal

SEED = 20240601


def _rss_mib() -> float:
    """Current resident set size of this process, MiB (Linux)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def case_capped_qf(allocations_count: int = 1_000_000, projects_count: int = 100) -> dict:
    from allocations import engine

    rng = random.Random(SEED)
    projects = ["0x" + rng.randbytes(20).hex() for _ in range(projects_count)]
    uqs = [Decimal("1.0"), Decimal("0.01")]
    allocations = [
        {
            "donor": f"donor{index // 5}",
            "project": rng.choice(projects),
            "amount": rng.randrange(10**15, 10**21),
            "uq": rng.choice(uqs),
        }
        for index in range(allocations_count)
    ]
    baseline = _rss_mib()
    started = time.perf_counter()
    aggregates = engine.aggregate_allocations(allocations)
    aggregated = time.perf_counter()
    result = engine.project_rewards_from_aggregates(
        aggregates=aggregates, projects=projects, matched_rewards=150 * 10**18
    )
    finished = time.perf_counter()
    return {
        "name": f"(a) capped QF, {allocations_count:,} allocations / {projects_count} projects",
        "seconds": finished - started,
        "detail": f"aggregation {aggregated - started:.2f} s, O(projects) formula {(finished - aggregated) * 1000:.1f} ms; "
        f"rewards_sum {result.rewards_sum}",
        "target": 10.0,
        "baseline": baseline,
        "peak": _peak_mib(),
    }


def _user_events(rng: random.Random, count: int, start: int, end: int) -> list[dict]:
    """A carry-in event then count - 1 locks/unlocks inside the epoch, balances consistent."""
    balance = rng.choice([0, rng.randrange(10**20, 10**23)])
    events = [{"type": "lock", "timestamp": start, "amount": 0, "before": balance}]
    timestamps = sorted(rng.randrange(start, end) for _ in range(count - 1))
    for timestamp in timestamps:
        if balance and rng.random() < 0.3:
            amount = rng.randrange(1, balance + 1)
            events.append({"type": "unlock", "timestamp": timestamp, "amount": amount, "before": balance})
            balance -= amount
        else:
            amount = rng.randrange(10**18, 10**22)
            events.append({"type": "lock", "timestamp": timestamp, "amount": amount, "before": balance})
            balance += amount
    return events


def case_effective_deposits(users: int = 100_000, events: int = 1_000_000) -> dict:
    from deposits import engine

    rng = random.Random(SEED)
    start, end = 1_700_000_000, 1_700_000_000 + 90 * 86_400
    per_user = events // users
    events_by_user = {"0x" + rng.randbytes(20).hex(): _user_events(rng, per_user, start, end) for _ in range(users)}
    baseline = _rss_mib()
    started = time.perf_counter()
    without = engine.effective_deposits(events_by_user, start, end, with_unlocks=False)
    middle = time.perf_counter()
    with_unlocks = engine.effective_deposits(events_by_user, start, end, with_unlocks=True)
    finished = time.perf_counter()
    return {
        "name": f"(b) effective deposits, {users:,} users / {users * per_user:,} events",
        "seconds": middle - started,
        "detail": f"without unlocks (epochs >= 2); with unlocks (epoch 1) {finished - middle:.2f} s; "
        f"TED {without.total} / {with_unlocks.total}",
        "target": 10.0,
        "baseline": baseline,
        "peak": _peak_mib(),
    }


def case_merkle_tree(leaves_count: int = 100_000) -> dict:
    from withdrawals import engine

    rng = random.Random(SEED)
    leaves = [("0x" + rng.randbytes(20).hex(), rng.randrange(1, 10**22)) for _ in range(leaves_count)]
    baseline = _rss_mib()
    started = time.perf_counter()
    tree = engine.merkle_tree(leaves)
    built = time.perf_counter()
    proof = tree.proof(leaves[0][0])
    finished = time.perf_counter()
    assert engine.verify(tree.root, *leaves[0], proof)
    return {
        "name": f"(c) merkle tree, {leaves_count:,} leaves",
        "seconds": built - started,
        "detail": f"one proof {(finished - built) * 1e6:.0f} us; root {tree.root[:18]}...",
        "target": 5.0,
        "baseline": baseline,
        "peak": _peak_mib(),
    }


CASES = [case_capped_qf, case_effective_deposits, case_merkle_tree]


def _run(case, queue) -> None:
    queue.put(case())


def main() -> int:
    context = multiprocessing.get_context("spawn")
    results = []
    for case in CASES:
        queue = context.Queue()
        process = context.Process(target=_run, args=(case, queue))
        process.start()
        results.append(queue.get())
        process.join()
    header = f"{'case':<58} {'seconds':>8} {'target':>7} {'peak RSS MiB':>13} {'compute MiB':>12}"
    print(header)
    print("-" * len(header))
    ok = True
    for result in results:
        within = result["seconds"] < result["target"]
        ok &= within
        print(
            f"{result['name']:<58} {result['seconds']:>8.2f} {('<' if within else '>=') + format(result['target'], '.0f'):>7} "
            f"{result['peak']:>13.0f} {max(0.0, result['peak'] - result['baseline']):>12.0f}"
        )
    print()
    for result in results:
        print(f"{result['name'].split(',')[0]}: {result['detail']}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
