"""Benchmark of exact capped QF (docs/rewards.md §5.8) at 1,000,000 allocations.

    .venv/bin/python -m bench exact

Times `allocations.engine.project_rewards` under a rule set with exact capped QF (integer square roots,
exact sums), target under 2 s, and prints how far the reference's float computation of the same epoch
lands from it, per project, plus the check that total withdrawals (Σ allocated + used MR) equal the sum of
the project leaves.
"""
import random
import sys
import time
from decimal import Decimal

from bench.bench_engine import SEED, _peak_mib

TARGET_SECONDS = 2.0


def main(allocations_count: int = 1_000_000, projects_count: int = 100) -> int:
    from allocations import engine
    from rewards.variants import rule_set

    rng = random.Random(SEED)
    projects = ["0x" + rng.randbytes(20).hex() for _ in range(projects_count)]
    uqs = [Decimal("1.0"), Decimal("0.01")]
    allocations = [
        {"donor": f"donor{index // 5}", "project": rng.choice(projects),
         "amount": rng.randrange(10**15, 10**21), "uq": rng.choice(uqs)}
        for index in range(allocations_count)
    ]
    matched_rewards = 150 * 10**18
    exact_rules = rule_set(exact_from=1)
    started = time.perf_counter()
    exact = engine.project_rewards(4, allocations=allocations, projects=projects, matched_rewards=matched_rewards,
                                   rules=exact_rules)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    reference = engine.project_rewards(4, allocations=allocations, projects=projects, matched_rewards=matched_rewards)
    reference_seconds = time.perf_counter() - started

    exact_matched = {r.address: r.matched for r in exact.rewards}
    gaps = sorted(abs(r.matched - exact_matched[r.address]) for r in reference.rewards)
    leaves = sum(r.allocated + r.matched for r in exact.rewards if r.allocated)
    print(f"exact capped QF, {allocations_count:,} allocations / {projects_count} projects: {seconds:.2f} s "
          f"(target < {TARGET_SECONDS:.0f} s); reference float mode {reference_seconds:.2f} s; "
          f"peak RSS {_peak_mib():.0f} MiB")
    print(f"reference minus exact, per project (wei): max {gaps[-1]}, median {gaps[len(gaps) // 2]}, "
          f"min {gaps[0]}")
    print(f"exact: total withdrawals part {exact.rewards_sum} == Σ project leaves {leaves}: {exact.rewards_sum == leaves}; "
          f"reference: {reference.rewards_sum} vs Σ leaves "
          f"{sum(r.allocated + r.matched for r in reference.rewards if r.allocated)}")
    return 0 if seconds < TARGET_SECONDS and exact.rewards_sum == leaves else 1


if __name__ == "__main__":
    sys.exit(main())
