"""Live-update fan-out: the time from one allocation to its `project_rewards` broadcast reaching every one of
1,000 Socket.IO clients (websocket transport, loopback only).

    .venv/bin/python -m bench.bench_socketio [CLIENTS]

Starts the production server (scripts/serve.py: uvicorn) in subprocesses on a fresh database with `octant.settings.test` (frozen local chain clock,
eager Celery) and seeds epoch 4's open allocation window (20 projects, one donor). With a Redis (REDIS_URL,
else BENCH_REDIS_URL's default database 15 on 127.0.0.1:6379 when it answers) the channel layer is that
Redis and two server processes share the clients (the broadcast crosses processes); without it, the
in-memory layer and one process. Celery runs eagerly, so the broadcast task that production hands to a
worker runs in the web process right after the commit (a worker adds one Redis queue hop). The allocation
is a signed `POST /allocations/allocate`; the clock starts just before the request. Target: under 1 s.
"""
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from eth_account import Account
from websockets.asyncio.client import connect

from octant.core.signatures import allocation_typed_data

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = 1000
PROJECTS = 20
EPOCH = 4  # the allocation window that is open: epoch 4 onwards has no threshold, like the current epochs
CONNECT_CONCURRENCY = 50
TIMEOUT = 60  # seconds, for every phase
TARGET = 1.0  # seconds from the allocation to the last client's broadcast
DONOR = Account.from_key("0x" + "b0" * 32)

SEED = f"""
import json, django
django.setup()
from django.conf import settings
from django.core.management import call_command
from epochs.selectors import chain_view
from lifecycle.snapshots import pending_snapshot_take
from octant.chain.backends import get_chain

call_command("migrate", verbosity=0)
start, duration, chain = 2_000_000_000, 1000, get_chain()
chain.set_time(timestamp=start - 100)
chain.configure(start=start, duration=duration, decision_window=400)
projects = ["0x" + f"{{i + 1:040x}}" for i in range({PROJECTS})]
for epoch in range(1, {EPOCH} + 1):
    chain.set_proceeds(epoch, 10 * 10**18)
    for address in projects:
        chain.add_project(epoch, address)
chain.set_time(timestamp=start + 10)
chain.lock("{DONOR.address}", 100_000 * 10**18)
for epoch in range(1, {EPOCH} + 1):  # each epoch's window opens as the next epoch starts
    chain.set_time(timestamp=start + epoch * duration + 10)
    assert pending_snapshot_take(view=chain_view()) == epoch
print(json.dumps({{"chain_id": settings.CHAIN_ID, "projects": projects}}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server on port {port} did not start")
            time.sleep(0.1)


def _allocation_body(chain_id: int, projects: list[str]) -> bytes:
    payload = {"allocations": [{"proposalAddress": projects[0], "amount": str(10**15)}], "nonce": 0}
    signed = Account.sign_typed_data(DONOR.key, full_message=allocation_typed_data(payload, chain_id=chain_id))
    return json.dumps({"userAddress": DONOR.address, "payload": payload,
                       "signature": "0x" + bytes(signed.signature).hex(), "isManuallyEdited": False}).encode()


def _post(url: str, body: bytes) -> int:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"POST /allocations/allocate answered {error.code}: {error.read()[:300]!r}")


def _warm_up(http: str) -> None:
    urllib.request.urlopen(f"{http}/allocations/users/{DONOR.address}/allocation_nonce", timeout=TIMEOUT).close()
    try:
        _post(http + "/allocations/allocate", b"{}")
    except RuntimeError:
        pass  # 400: the body is empty on purpose


class Client:
    """One raw Engine.IO/Socket.IO websocket client."""

    def __init__(self, url: str, on_connect_frames: int):
        self.url, self.on_connect_frames = url, on_connect_frames
        self.ready = asyncio.Event()
        self.received_at: float | None = None

    async def run(self, gate: asyncio.Semaphore, stop: asyncio.Event) -> None:
        async with gate:
            ws = await connect(self.url, open_timeout=TIMEOUT, ping_interval=None, max_size=None)
            assert (await ws.recv())[0] == "0"  # Engine.IO open
            await ws.send("40")  # Socket.IO connect to "/"
            assert (await ws.recv()).startswith("40")
        async with ws:
            seen = 0
            while self.received_at is None:
                frame = await ws.recv()
                if frame == "2":  # the server's heartbeat
                    await ws.send("3")
                elif seen < self.on_connect_frames:
                    seen += 1
                    if seen == self.on_connect_frames:
                        self.ready.set()
                elif frame.startswith('42["project_rewards"'):
                    self.received_at = time.perf_counter()
            await stop.wait()  # stay connected until everyone is done, then disconnect cleanly


async def _measure(urls: list[str], http: str, body: bytes, clients_count: int, on_connect: int) -> dict:
    clients = [Client(urls[i % len(urls)], on_connect) for i in range(clients_count)]
    gate, stop = asyncio.Semaphore(CONNECT_CONCURRENCY), asyncio.Event()
    tasks = [asyncio.create_task(c.run(gate, stop)) for c in clients]
    try:
        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in clients)), TIMEOUT)
        connected = time.perf_counter() - started

        # Warm the HTTP path up (URL configuration, views) as on a server that has served requests before.
        await asyncio.to_thread(_warm_up, http)
        allocated_at = time.perf_counter()
        status = await asyncio.to_thread(_post, http + "/allocations/allocate", body)
        answered = time.perf_counter() - allocated_at
        deadline = time.monotonic() + TIMEOUT
        while any(c.received_at is None for c in clients) and time.monotonic() < deadline:
            failed = [t for t in tasks if t.done() and t.exception()]
            if failed:
                raise failed[0].exception()
            await asyncio.sleep(0.005)
        latencies = sorted(c.received_at - allocated_at for c in clients if c.received_at is not None)
    finally:
        stop.set()
        await asyncio.wait(tasks, timeout=TIMEOUT)
        for task in tasks:
            task.cancel()
        await asyncio.sleep(2)  # let the servers leave the channel-layer group before they are stopped
    return {"connected": connected, "status": status, "answered": answered, "latencies": latencies}


def main(clients_count: int = CLIENTS) -> int:
    """Exit status 0 when every client got the broadcast within the target."""
    from bench._backends import fresh_database, redis_url as reachable_redis

    redis_url = os.environ.get("REDIS_URL") or reachable_redis()
    servers_count = 2 if redis_url else 1
    with tempfile.TemporaryDirectory(prefix="bench_socketio_") as tmp, \
            fresh_database("octant_bench_socketio") as database_url:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "octant.settings.test", "REDIS_URL": redis_url,
               "DATABASE_URL": database_url, "DEBUG": "false", "SECRET_KEY": "bench-only",
               "SECURE_SSL_REDIRECT": "0"}
        seeded = subprocess.run([sys.executable, "-c", SEED], cwd=ROOT, env=env, timeout=TIMEOUT,
                                capture_output=True, text=True)
        if seeded.returncode:
            raise RuntimeError(f"seeding failed:\n{seeded.stderr}")
        seed = json.loads(seeded.stdout.strip().splitlines()[-1])
        ports = [_free_port() for _ in range(servers_count)]
        logs = [open(f"{tmp}/server{port}.log", "wb") for port in ports]
        servers = [subprocess.Popen([sys.executable, "scripts/serve.py", "--host", "127.0.0.1", "--port", str(port),
                                     "--processes", "1", "--", "--no-access-log"], cwd=ROOT, env=env, stdout=log,
                                    stderr=log)
                   for port, log in zip(ports, logs)]
        try:
            for port, server in zip(ports, servers):
                _wait_listening(port, server)
            result = asyncio.run(_measure(
                [f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket" for port in ports],
                f"http://127.0.0.1:{ports[0]}", _allocation_body(seed["chain_id"], seed["projects"]),
                clients_count, 2 + len(seed["projects"])))  # threshold, project_rewards, donors
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait(timeout=10)
            for log in logs:
                log.close()

    latencies = result["latencies"]
    layer = "Redis" if redis_url else "in-memory"
    print(f"Socket.IO fan-out: {clients_count} websocket clients, {servers_count} server process(es), "
          f"{layer} channel layer, epoch {EPOCH}, {len(seed['projects'])} projects")
    print(f"  connect + connect-time events for all clients: {result['connected']:.2f} s")
    print(f"  allocation: HTTP POST /allocations/allocate -> {result['status']} in {result['answered'] * 1000:.0f} ms")
    if latencies:
        print(f"  allocation -> project_rewards received: first {latencies[0] * 1000:.0f} ms, median "
              f"{statistics.median(latencies) * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms, by "
              f"{len(latencies)}/{clients_count} clients (target: max under 1000 ms)")
    else:
        print("  no client received the broadcast")
    return 0 if len(latencies) == clients_count and latencies[-1] < TARGET else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else CLIENTS))
