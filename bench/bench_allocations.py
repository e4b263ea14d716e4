"""Latency of POST /allocations/allocate and GET /rewards/projects/estimated with 100,000 users and
1,000,000 allocations over 100 projects.

    .venv/bin/python -m bench allocations

`load` (one process) bulk-loads a capped-QF epoch (bench._data.load_allocation_epoch) with the local chain
in its allocation window. `measure` (another) sends the requests in-process through Django's test Client
(the whole Django/DRF stack and the database, no network or ASGI server): 300 signed allocations, each by
a different user (about a third first allocations, the rest replacing 10-11 earlier ones), 5 projects
each, then 1,000 estimates. It runs as production does, with the Redis channel layer when a Redis answers
(BENCH_REDIS_URL, default database 15 on 127.0.0.1:6379): the on-commit side effects, the aggregates'
rebuild and the websocket broadcast (coalesced: one task while one is queued), go to Celery, here only
enqueued (memory:// broker). Each is then timed on its own as a worker runs it: the queued broadcast (every
project the requests changed), 20 broadcasts of 5 changed projects, one `project_funding_rebuild`.
Without Redis the in-memory layer only reaches this process's sockets, so the broadcast runs inside each
request (as in the single-process development setup) and the request figures include it.
Targets: allocate p99 < 50 ms, estimate p99 < 20 ms.
"""
import json
import statistics
import sys
import time

from bench import _backends, _data

ESTIMATE_REQUESTS, PROJECTS_PER_REQUEST = 1_000, 5
BROADCASTS = 20  # broadcast tasks timed as the worker runs them
TARGET_ALLOCATE_P99, TARGET_ESTIMATE_P99 = 50.0, 20.0
USERS, ALLOCATIONS = int(100_000 * _data.SCALE), int(1_000_000 * _data.SCALE)


def load() -> dict:
    migrated = _backends.migrate()
    started = time.perf_counter()
    loaded = _data.load_allocation_epoch(users=USERS, allocations=ALLOCATIONS)
    return {"migrate": migrated, "load": time.perf_counter() - started, **loaded}


def _celery_enqueue_only() -> None:
    from django.conf import settings

    from octant.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "memory://localhost/"
    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://localhost/"


def _timed(owner, name: str, times: list) -> None:
    """Replace owner.name with a wrapper that appends each call's duration to `times`."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            times.append(time.perf_counter() - started)

    setattr(owner, name, wrapper)


def _bodies(rng) -> list[dict]:
    """One signed allocation body per keyed user, in a shuffled order, with the user's next nonce."""
    from eth_account import Account

    from deposits.models import Budget
    from octant.core.signatures import allocation_typed_data
    from django.conf import settings
    from projects.selectors import project_addresses
    from users.models import User

    projects = project_addresses(epoch=_data.EPOCH)
    accounts = _data.keyed_accounts()
    rng.shuffle(accounts)
    nonces = dict(User.objects.filter(address__in=[a.address for a in accounts]).values_list(
        "address", "allocation_nonce"))
    budgets = dict(Budget.objects.filter(epoch=_data.EPOCH).filter(
        address__in=[a.address for a in accounts]).values_list("address", "amount"))
    bodies = []
    for account in accounts:
        last = nonces.get(account.address)
        spend = budgets[account.address] * rng.randrange(30, 101) // 100
        payload = {"allocations": [{"proposalAddress": p, "amount": str(spend // PROJECTS_PER_REQUEST)}
                                   for p in rng.sample(projects, PROJECTS_PER_REQUEST)],
                   "nonce": 0 if last is None else last + 1}
        signed = Account.sign_typed_data(account.key, full_message=allocation_typed_data(
            payload, chain_id=settings.CHAIN_ID))
        bodies.append({"userAddress": account.address, "payload": payload,
                       "signature": "0x" + signed.signature.hex(), "isManuallyEdited": False,
                       "_first": last is None})
    return bodies


def measure() -> dict:
    import random

    from django.db import connection
    from django.core.cache import cache
    from django.db.models import F
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from allocations import funding, realtime, tasks
    from allocations.models import ProjectFunding
    from projects.selectors import project_addresses

    _celery_enqueue_only()
    cache.clear()  # the benchmark's own Redis database: no broadcast mark left from an earlier run
    enqueues, broadcast_enqueues = [], []
    _timed(tasks.project_funding_rebuild_task, "apply_async", enqueues)  # queued with a countdown
    _timed(tasks.broadcast_changes_task, "delay", broadcast_enqueues)
    bodies = _bodies(random.Random(_data.SEED + 1))
    client = Client()

    def post(body):
        body = {k: v for k, v in body.items() if k != "_first"}
        started = time.perf_counter()
        response = client.post("/allocations/allocate", json.dumps(body), content_type="application/json")
        elapsed = time.perf_counter() - started
        assert response.status_code == 201, (response.status_code, response.content[:300])
        return elapsed

    def estimate():
        started = time.perf_counter()
        response = client.get("/rewards/projects/estimated")
        elapsed = time.perf_counter() - started
        assert response.status_code == 200 and len(response.json()["rewards"]) == 100, response.content[:300]
        return elapsed

    warmup, bodies = bodies[:_data.WARMUP_REQUESTS], bodies[_data.WARMUP_REQUESTS:]
    replacing = next(b for b in warmup if not b["_first"])
    with CaptureQueriesContext(connection) as captured:
        post(replacing)
    allocate_queries = len(captured.captured_queries)  # read now: the next request clears the log
    for body in warmup:
        if body is not replacing:
            post(body)
    with CaptureQueriesContext(connection) as captured:
        estimate()
    estimate_queries = len(captured.captured_queries)
    for _ in range(9):
        estimate()

    first, replace = [], []
    for body in bodies:
        (first if body["_first"] else replace).append(post(body))
    estimates = [estimate() for _ in range(ESTIMATE_REQUESTS)]
    enqueued_broadcasts = len(broadcast_enqueues)  # from the start: the warm-up queues the runs that stay queued

    # The broadcast task as the worker runs it: first the one that the requests above queued (once: a
    # task stays queued until a worker starts it), sending every project they changed; then tasks after
    # single allocations, each changing 5 projects.
    started = time.perf_counter()
    coalesced = tasks.broadcast_changes_task.run(_data.EPOCH), time.perf_counter() - started
    projects, rng, broadcasts = project_addresses(epoch=_data.EPOCH), random.Random(_data.SEED + 2), []
    for _ in range(BROADCASTS):
        ProjectFunding.objects.filter(epoch=_data.EPOCH, project_address__in=rng.sample(
            projects, PROJECTS_PER_REQUEST)).update(version=F("version") + 1)
        started = time.perf_counter()
        assert tasks.broadcast_changes_task.run(_data.EPOCH) == PROJECTS_PER_REQUEST
        broadcasts.append(time.perf_counter() - started)

    inexact = ProjectFunding.objects.filter(epoch=_data.EPOCH, exact=False).count()
    started = time.perf_counter()
    rebuilt = funding.project_funding_rebuild(epoch=_data.EPOCH)
    rebuild = time.perf_counter() - started

    def row(label, values, target=None):
        values = [v * 1000 for v in values]
        return [label, len(values), statistics.median(values), _backends.percentile(values, 0.99), max(values),
                target] if values else None

    shared = realtime.layer_is_shared()
    rows = [row("POST allocate" + ("" if shared else " (inline bcast)"), first + replace, TARGET_ALLOCATE_P99),
            row("  first allocation", first), row("  replacing 10-11", replace),
            row("GET /rewards/projects/est.", estimates, TARGET_ESTIMATE_P99),
            row("broadcast task, 5 projects", broadcasts)]
    return {"rows": [r for r in rows if r], "layer": "redis" if shared else "in-memory",
            "allocate_queries": allocate_queries, "estimate_queries": estimate_queries, "enqueued": len(enqueues),
            "broadcasts_enqueued": enqueued_broadcasts, "coalesced": coalesced, "inexact": inexact,
            "rebuilt": rebuilt, "rebuild": rebuild}


def main() -> int:
    redis = _backends.redis_url()
    if not redis:
        print("(no Redis at BENCH_REDIS_URL: in-memory channel layer, broadcasts inline in each request)")
    result = _backends.run_phases("bench.bench_allocations", "octant_bench_allocations", ["load", "measure"],
                                  env={"measure": {"REDIS_URL": redis}})
    print(f"allocations, {USERS:,} users / {ALLOCATIONS:,} allocations / 100 projects, epoch {_data.EPOCH} "
          f"(capped QF); in-process Django test Client; milliseconds")
    header = f"{'request':<30} {'n':>5} {'median':>8} {'p99':>8} {'max':>8}  target"
    print(header)
    print("-" * len(header))
    ok = True
    for label, n, median, p99, top, target in result["measure"]["rows"]:
        verdict = f"p99 {_backends.verdict(p99, target)}" if target else ""
        ok &= not target or p99 < target
        print(f"{label:<30} {n:>5} {median:>8.1f} {p99:>8.1f} {top:>8.1f}  {verdict}")
    m, loaded = result["measure"], result["load"]
    print(f"load {loaded['load']:.1f} s ({loaded['users']:,} users, {loaded['allocations']:,} "
          f"allocations, {loaded['requests']:,} requests, {loaded['budgets']:,} budgets); {m['layer']} channel "
          f"layer; queries per allocate {m['allocate_queries']}, per estimate {m['estimate_queries']}; "
          f"enqueued: {m['enqueued']} rebuild, {m['broadcasts_enqueued']} broadcast tasks (the one queued "
          f"sent {m['coalesced'][0]} projects in {m['coalesced'][1]:.1f} s); "
          f"project_funding_rebuild of {m['rebuilt']} inexact projects "
          f"{m['rebuild']:.2f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(_backends.worker(sys.argv[1:], {"load": load, "measure": measure}) if sys.argv[1:] else main())
