"""Indexing 1,000,000 lock/unlock events from a local subgraph GraphQL server.

    .venv/bin/python -m bench index

The server (`python -m tests.peers EVENTS`, a process of its own on 127.0.0.1) serves 500,000
`lockeds` and 500,000 `unlockeds` (4 a block, 10,000 users); the indexer is the production path,
`deposits.services.deposit_events_sync()` over `EthereumChain.deposit_event_batches()`: pages of 1,000 by
block cursor at one pinned block, each page stored with its cursor in one transaction. Prints events per second and the indexer's peak RSS. Target: under 180 s.
"""
import os
import resource
import subprocess
import sys
import time

from bench import _backends, _data

EVENTS = int(1_000_000 * _data.SCALE)
TARGET_SECONDS = 180.0


def index() -> dict:
    from django.conf import settings

    from deposits.models import DepositEvent
    from deposits.services import deposit_events_sync
    from octant.chain import backends
    from tests.peers import Deployment

    _backends.migrate()
    server = subprocess.Popen([sys.executable, "-m", "tests.peers", str(EVENTS)], stdout=subprocess.PIPE,
                              text=True, cwd=_backends.ROOT)
    try:
        url = server.stdout.readline().strip()
        chain = Deployment()  # the contracts the pass reads after the events (the epoch, projects)
        for name, value in chain.settings().items():
            setattr(settings, name, value)
        settings.SUBGRAPH_ENDPOINT = url
        backends._instances.pop("ethereum", None)
        baseline = _backends.peak_mib()
        shown = [0]

        def progress(entity, done, block, since, pinned):
            if done - shown[0] >= 100_000 or done < shown[0]:
                shown[0] = done
                print(f"  {entity}: {done:,} (block {block:,})", flush=True)

        started, cpu = time.perf_counter(), time.process_time()
        result = {"depositEvents": deposit_events_sync(progress=progress)}
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        chain.stop()
    finally:
        server.terminate()
        server.wait()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    stored = DepositEvent.objects.count()
    assert stored == result["depositEvents"] == EVENTS, (stored, result)
    return {"seconds": seconds, "events": stored, "baseline_mib": baseline, "cpu": cpu,
            "server_cpu": children.ru_utime + children.ru_stime, "load": os.getloadavg()[0]}


def main() -> int:
    r = _backends.run_phases("bench.bench_index", "octant_bench_index", ["index"],
                             env={"index": {"LOG_LEVEL": "ERROR"}})["index"]
    print(f"indexing {EVENTS:,} lock/unlock events from a local subgraph server")
    ok = r["seconds"] < TARGET_SECONDS * max(_data.SCALE, 0.01)
    print(f"{r['seconds']:>7.1f} s  {r['events'] / r['seconds']:>9,.0f} events/s  peak RSS "
          f"{r['peak_mib']:.0f} MiB (before the pass {r['baseline_mib']:.0f} MiB)  "
          f"{_backends.verdict(r['seconds'], TARGET_SECONDS * max(_data.SCALE, 0.01))}")
    print(f"CPU: indexer {r['cpu']:.0f} s, subgraph server {r['server_cpu']:.0f} s; machine load "
          f"average {r['load']:.1f} on {os.cpu_count()} cores during the pass")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(_backends.worker(sys.argv[1:], {"index": index}) if sys.argv[1:] else main())
