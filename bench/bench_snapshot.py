"""Pending snapshot of 100,000 users with 1,000,000 deposit events.

    .venv/bin/python -m bench snapshot

Through the real code path: deposit events of epoch 1 bulk-loaded into a fresh database (`load`, one
process), then the local chain clock moved into epoch 1's allocation window and
`lifecycle.snapshots.pending_snapshot_take()` timed (`snapshot`, a process of its own, so the peak RSS shown
is the snapshot's: Django, the query results and the computation). Targets: under 60 s and under 2 GB.
"""
import sys
import time

from bench import _backends, _data

USERS, EVENTS = int(100_000 * _data.SCALE), int(1_000_000 * _data.SCALE)
TARGET_SECONDS, TARGET_MIB = 60.0, 2048.0


def load() -> dict:
    migrated = _backends.migrate()
    started = time.perf_counter()
    _data.configure_chain(last_epoch=1)
    loaded = _data.load_deposit_events(users=USERS, events=EVENTS)
    return {"migrate": migrated, "load": time.perf_counter() - started, **loaded}


def snapshot() -> dict:
    from deposits.models import Budget, Deposit
    from epochs.selectors import chain_view
    from lifecycle.snapshots import pending_snapshot_take
    from octant.chain.backends import get_chain

    get_chain().set_time(timestamp=_data.epoch_start(2) + 60)  # epoch 1's allocation window
    baseline = _backends.peak_mib()
    started = time.perf_counter()
    taken = pending_snapshot_take(view=chain_view())
    seconds = time.perf_counter() - started
    assert taken == 1, taken
    return {"seconds": seconds, "baseline_mib": baseline, "deposits": Deposit.objects.filter(epoch=1).count(),
            "budgets": Budget.objects.filter(epoch=1).count()}


def main() -> int:
    result = _backends.run_phases("bench.bench_snapshot", "octant_bench_snapshot", ["load", "snapshot"])
    print(f"pending snapshot, {USERS:,} users / {EVENTS:,} deposit events (epoch 1)")
    header = (f"{'load s':>7} {'snapshot s':>11} {'peak RSS MiB':>13} {'before MiB':>11} "
              f"{'deposits':>9} {'budgets':>8}  targets <{TARGET_SECONDS:g} s, <{TARGET_MIB:g} MiB")
    print(header)
    print("-" * len(header))
    loaded, taken = result["load"], result["snapshot"]
    ok = taken["seconds"] < TARGET_SECONDS and taken["peak_mib"] < TARGET_MIB
    print(f"{loaded['load']:>7.1f} {taken['seconds']:>11.2f} {taken['peak_mib']:>13.0f} "
          f"{taken['baseline_mib']:>11.0f} {taken['deposits']:>9,} {taken['budgets']:>8,}  "
          f"{'ok' if ok else 'MISSED'}")
    print(f"loaded {loaded['events']:,} events ({loaded['locks']:,} locks, {loaded['unlocks']:,} "
          f"unlocks) in {loaded['load']:.1f} s after migrate {loaded['migrate']:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(_backends.worker(sys.argv[1:], {"load": load, "snapshot": snapshot}) if sys.argv[1:] else main())
