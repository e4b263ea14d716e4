"""The window endpoints over HTTP on the production stack: PostgreSQL, Redis, uvicorn with several worker
processes (scripts/serve.py, one per core) and one Celery worker, with 100,000 users, 1,000,000 allocations and 100
projects (times BENCH_SCALE: e.g. BENCH_SCALE=0.1 for a quick run).

    BENCH_DATABASE=octant_bench_http BENCH_REDIS_URL=redis://127.0.0.1:6379/15 .venv/bin/python -m bench http

`load` bulk-loads the epoch (bench._data.load_allocation_epoch, the local chain in its allocation window);
then the servers start and `measure` (a client process) sends, over real sockets: 30 sequential requests
to each window endpoint (p50/p99 in ms, and the largest body), then allocations and estimates from 8
concurrent clients (requests/s, p99). Each server process's peak RSS is read from /proc at the end.
BENCH_HTTP_PORT (default 21790) is the port; BENCH_HTTP_PROCESSES (default: the core count) the server
processes; BENCH_HTTP_ROUNDS (default 3) how many allocations each of the 279 users sends at concurrency 8.
The database and Redis db are emptied (dropped, flushed) first: use your own.
Targets: epoch info p99 < 20 ms; finalized simulation p99 < 1.5 s; the epoch's allocations < 1.5 s;
allocate p99 < 50 ms; at concurrency 8, 150 allocations/s and 1,000 estimates/s; server memory < 300 MB.
"""
import http.client
import json
import os
import subprocess
import sys
import threading
import time

from bench import _backends, _data
from bench.bench_allocations import ALLOCATIONS, USERS, load  # the same epoch, the same scale

ROOT = _backends.ROOT
PORT = int(os.environ.get("BENCH_HTTP_PORT", "21790"))
PROCESSES = int(os.environ.get("BENCH_HTTP_PROCESSES") or os.cpu_count() or 2)
SEQUENTIAL, CONCURRENCY, ESTIMATE_SECONDS = 30, 8, 10
ROUNDS = int(os.environ.get("BENCH_HTTP_ROUNDS", "3"))  # allocations at concurrency 8: each keyed user this often


class Client:
    """One keep-alive connection."""

    def __init__(self):
        self.connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)

    def request(self, method: str, path: str, body=None) -> tuple[int, float, int]:
        data = None if body is None else json.dumps(body).encode()
        started = time.perf_counter()
        self.connection.request(method, path, body=data, headers={"Content-Type": "application/json"})
        response = self.connection.getresponse()
        size = len(response.read())
        return response.status, (time.perf_counter() - started) * 1000, size


def _bodies() -> list[dict]:
    import random

    from bench.bench_allocations import _bodies as signed_bodies

    return [{k: v for k, v in b.items() if k != "_first"} for b in signed_bodies(random.Random(_data.SEED + 7))]


def _later_rounds(bodies: list[dict], rounds: int) -> list[dict]:
    """`bodies` again `rounds` - 1 times, each round the users' next nonces in the same order (a user's two
    requests are a round apart: never in flight together), the allocations in another order."""
    import random

    from eth_account import Account
    from django.conf import settings

    from octant.core.signatures import allocation_typed_data

    keys, rng, more = {a.address: a.key for a in _data.keyed_accounts()}, random.Random(_data.SEED + 8), []
    for round_ in range(1, rounds):
        for body in bodies:
            payload = {"allocations": rng.sample(body["payload"]["allocations"], len(body["payload"]["allocations"])),
                       "nonce": body["payload"]["nonce"] + round_}
            signed = Account.sign_typed_data(keys[body["userAddress"]], full_message=allocation_typed_data(
                payload, chain_id=settings.CHAIN_ID))
            more.append({**body, "payload": payload, "signature": "0x" + signed.signature.hex()})
    return more


def measure() -> dict:
    from projects.selectors import project_addresses

    bodies = _bodies()
    projects = project_addresses(epoch=_data.EPOCH)
    someone = bodies[-1]["userAddress"]
    leverage = {"allocations": [{"proposalAddress": p, "amount": str(10**15)} for p in projects[:5]]}
    e = _data.EPOCH
    endpoints = [
        ("GET", f"/epochs/info/{e}", None), ("GET", "/rewards/projects/estimated", None),
        ("POST", f"/allocations/leverage/{someone}", leverage), ("GET", "/snapshots/finalized/simulate", None),
        ("GET", f"/allocations/epoch/{e}", None), ("GET", f"/allocations/donors/{e}", None),
        ("GET", f"/rewards/budgets/epoch/{e}", None), ("GET", f"/rewards/threshold/{e}", None),
    ]
    client = Client()
    sequential = {}
    for method, path, body in endpoints:
        times, size = [], 0
        for _ in range(SEQUENTIAL + 1):
            status, ms, size = client.request(method, path, body)
            assert status == 200, (path, status)
            times.append(ms)
        times = times[1:]  # the first warms the process's caches
        sequential[f"{method} {path}"] = {"p50": _backends.percentile(times, 0.5),
                                          "p99": _backends.percentile(times, 0.99), "bytes": size}
    times = []
    for body in bodies[:SEQUENTIAL + 1]:
        status, ms, _ = client.request("POST", "/allocations/allocate", body)
        assert status == 201, status
        times.append(ms)
    first, times = times[0], times[1:]  # the first warms the process, as for every endpoint above
    sequential["POST /allocations/allocate"] = {"p50": _backends.percentile(times, 0.5),
                                                "p99": _backends.percentile(times, 0.99), "bytes": 4}
    concurrent = bodies[SEQUENTIAL + 1:]
    concurrent += _later_rounds(concurrent, ROUNDS)
    return {"first_allocation_ms": first, "sequential": sequential, "concurrent": {
        "allocate": _concurrent(lambda c, i: c.request("POST", "/allocations/allocate", concurrent[i]),
                                count=len(concurrent), expect=201),
        "estimate": _concurrent(lambda c, i: c.request("GET", "/rewards/projects/estimated"),
                                seconds=ESTIMATE_SECONDS, expect=200)}}


def _concurrent(call, *, count=None, offset=0, seconds=None, expect=200) -> dict:
    """CONCURRENCY clients, each on its own connection: `count` calls in all (indices offset..), or calls
    for `seconds`. Requests/s over the wall time and p99."""
    times, errors, lock = [], [], threading.Lock()
    next_index = [offset]
    deadline = time.perf_counter() + seconds if seconds else None

    def run():
        client = Client()
        while True:
            with lock:
                index = next_index[0]
                next_index[0] += 1
            if count is not None and index >= offset + count:
                return
            if deadline and time.perf_counter() > deadline:
                return
            status, ms, _ = call(client, index)
            with lock:
                (times if status == expect else errors).append(ms if status == expect else status)

    threads = [threading.Thread(target=run) for _ in range(CONCURRENCY)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {"requests": len(times), "errors": len(errors), "per_second": len(times) / wall,
            "p50": _backends.percentile(times, 0.5), "p99": _backends.percentile(times, 0.99)}


def _server_env(database_url: str, redis_url: str) -> dict:
    return dict(os.environ, DJANGO_SETTINGS_MODULE="octant.settings.base", LOCAL_CHAIN_CLOCK_RUNNING="0",
                DATABASE_URL=database_url, REDIS_URL=redis_url, DEBUG="0", SECRET_KEY="bench-only-" + "x" * 50,
                ALLOWED_HOSTS="127.0.0.1", CHAIN_BACKEND="local", LOG_LEVEL="WARNING", CELERY_TASK_ALWAYS_EAGER="0",
                **_backends.ONE_CLIENT_ADDRESS)


def _peak_rss_mib(pid: int) -> float:
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def main() -> int:
    redis_url = _backends.redis_url()
    if not redis_url:
        print("bench http needs Redis (BENCH_REDIS_URL)")
        return 1
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    print(f"scale {_data.SCALE:g}: {USERS:,} users, {ALLOCATIONS:,} allocations; {PROCESSES} server processes",
          flush=True)
    with _backends.fresh_database("octant_bench_http") as url:
        loaded = _backends.run_phase("bench.http", "load", url)
        print(f"loaded in {loaded['load']:.0f} s: {loaded['allocations']:,} allocations", flush=True)
        env = _server_env(url, redis_url)
        server = subprocess.Popen([sys.executable, "scripts/serve.py", "--host", "127.0.0.1", "--port", str(PORT),
                                   "--processes", str(PROCESSES), "--", "--no-access-log",
                                   "--log-level", "warning"], cwd=ROOT, env=env)
        worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "octant.celery", "worker", "-c", "1",
                                   "--loglevel=WARNING"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        try:
            for _ in range(120):
                try:
                    if Client().request("GET", "/info/healthcheck")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.5)
            result = _backends.run_phase("bench.http", "measure", url, REDIS_URL=redis_url)
            children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
            server_mib = max((_peak_rss_mib(int(pid)) for pid in children), default=0.0)
        finally:
            server.terminate()
            worker.terminate()
            server.wait(timeout=30)
            worker.wait(timeout=30)
    print(f"\n{'endpoint (30 sequential)':<58} {'p50 ms':>9} {'p99 ms':>9} {'bytes':>12}")
    for name, figures in result["sequential"].items():
        print(f"{name:<58} {figures['p50']:9.1f} {figures['p99']:9.1f} {figures['bytes']:12,}")
    print(f"(the process's first allocation, not counted above: {result['first_allocation_ms']:.1f} ms)")
    print(f"\nconcurrency {CONCURRENCY}: {'requests':>9} {'errors':>7} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9}")
    for name, figures in result["concurrent"].items():
        print(f"{name:<15} {figures['requests']:9} {figures['errors']:7} {figures['per_second']:9.1f} "
              f"{figures['p50']:9.1f} {figures['p99']:9.1f}")
    print(f"\nlargest server process peak RSS: {server_mib:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(_backends.worker(sys.argv[1:], {"load": load, "measure": measure}))
