"""Live updates at scale (issue 17, item 6): N Socket.IO clients watch an epoch loaded with 1,000,000
allocations over 100 projects (times BENCH_SCALE) while signed allocations arrive at 10/s, on the production
stack: PostgreSQL, Redis (channel layer, cache, broker), uvicorn with several worker processes (scripts/serve.py), one
Celery worker for the default queue (the aggregates' rebuilds) and one for the broadcasts (BROADCAST_QUEUE),
which sends the coalesced broadcasts (at most one per BROADCAST_MIN_INTERVAL_SECONDS) from its own process.

    BENCH_DATABASE=octant_bench_live BENCH_REDIS_URL=redis://127.0.0.1:6379/15 \\
        BENCH_SCALE=0.01 BENCH_CLIENTS=1000 .venv/bin/python -m bench live

Knobs: BENCH_CLIENTS (default 1,000 websocket clients), BENCH_SCALE (data size), BENCH_LIVE_RATE (default 10
allocations/s), BENCH_LIVE_SECONDS (default 20 s of allocations), BENCH_LIVE_PORT (default 21812),
BENCH_HTTP_PROCESSES (server processes, default the core count), BENCH_WATCHER_PROCESSES (processes the clients
are spread over, default the core count), BENCH_LIVE_WORKER_LOG (a file for the Celery workers' logs at INFO,
with task times; default: none). The database and the Redis db are emptied (dropped, flushed) first: use your own.

Each allocation puts 5 projects' amounts under one keyed user; a client has seen it when every one of those
projects' `project_donors` frames it received carries the user's new amount. The delay runs from just
before the POST (so it includes the request; the commit lies between the POST and its answer) to that
frame's arrival, for every (client, allocation) pair. Bytes are the websocket payloads the clients
received while allocations arrived (the Engine.IO/Socket.IO frames, without websocket framing).
The clients (a lean websocket client of the bench's own, `Watcher`: they share the machine's cores with the
server) offer permessage-deflate, as browsers do (BENCH_LIVE_COMPRESSION=0: they do not). BENCH_LIVE_DRAIN
(default 45 s) is how long after the last allocation the clients wait for the states to arrive.

Reported (issue 26): the delay from an allocation to a client's state holding it (p50/p99/max over every
(client, allocation) pair) and from the last allocation to each client holding the latest state; the bytes
sent per second (payloads, before compression); the server's peak memory (the RSS of every server process
together, uvicorn's and the Celery workers', sampled every 0.2 s); and the sockets dropped (closed before
the end). Targets: every client sees every change within 2 s at 10,000 allocations; at 1,000,000 and 1,000
clients no socket dropped, the servers under 1 GB and every client on the latest state within 30 s of the
last change.
"""
import asyncio
import base64
import gc
import json
import os
import subprocess
import sys
import threading
import time
import zlib

from bench import _backends, _data, http

ROOT = _backends.ROOT
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "1000"))
RATE = float(os.environ.get("BENCH_LIVE_RATE", "10"))
SECONDS = float(os.environ.get("BENCH_LIVE_SECONDS", "20"))
PORT = int(os.environ.get("BENCH_LIVE_PORT", "21812"))
CONNECT_CONCURRENCY = 20
ALLOCATORS = 4  # threads sending the allocations
WATCHER_PROCESSES = int(os.environ.get("BENCH_WATCHER_PROCESSES") or os.cpu_count() or 2)
TARGET = 2.0  # seconds from an allocation to every client seeing it
DRAIN = float(os.environ.get("BENCH_LIVE_DRAIN", "45"))  # seconds after the last allocation for them to arrive
LATEST_TARGET = 30.0  # seconds from the last allocation to every client holding the latest state (1,000,000)
MEMORY_TARGET_MB = 1000.0
COMPRESSION = os.environ.get("BENCH_LIVE_COMPRESSION", "1") != "0"


def load() -> dict:
    return http.load()


class Watcher(asyncio.Protocol):
    """One Engine.IO/Socket.IO websocket client that notes when it sees each allocation. It speaks the
    websocket protocol itself, lean: parsing and inflating 40,000 frames a second with the `websockets`
    library took more CPU than the server spent sending them, on the same cores."""

    PREFIX = b'42["project_donors",{"project":"'

    def __init__(self, on_connect_frames: int, expected: dict, allocations: list):
        self.on_connect_frames = on_connect_frames
        self.expected = expected  # project (bytes) -> [(allocation index, needle bytes)] (_needles)
        self.allocations = allocations  # index -> {"projects": n, ...}
        self.ready = asyncio.Event()
        self.seen: dict[int, set] = {}  # allocation index -> projects seen with its amount
        self.seen_at: dict[int, float] = {}  # allocation index -> when its last project was seen
        self.bytes = 0
        self.counting = False
        self.dropped = None  # before the end: "close" (the server's close frame), "reset" or "eof"
        self.closing = False
        self.server_closed = False  # it sent a close frame
        self.buffer = bytearray()
        self.handshake = True
        self.inflater = None  # a zlib stream when the server accepted permessage-deflate
        self.stage = 0  # 0: the Engine.IO open, 1: the namespace's connect, 2: connect-time frames, 3: live
        self.left = 0  # connect-time frames still to come

    async def open(self, url: str, gate: asyncio.Semaphore) -> None:
        host, port = url.split("//")[1].split("/")[0].split(":")
        async with gate:
            transport, _ = await asyncio.get_running_loop().create_connection(lambda: self, host, int(port))
            path = "/" + url.split("//")[1].split("/", 1)[1]
            offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" if COMPRESSION else ""
            transport.write((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                             f"Connection: Upgrade\r\nSec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}"
                             f"\r\nSec-WebSocket-Version: 13\r\n{offer}\r\n").encode())
            await asyncio.wait_for(self.ready.wait(), 600)

    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        if not self.closing:
            self.dropped = "close" if self.server_closed else "reset" if exc else "eof"

    def send(self, text: str) -> None:
        """A masked text frame (a client's frames are masked)."""
        data, mask = text.encode(), os.urandom(4)
        assert len(data) < 126
        self.transport.write(bytes([0x81, 0x80 | len(data)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        if self.handshake:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end]).lower()
            assert head.startswith(b"http/1.1 101"), head
            if b"permessage-deflate" in head:
                self.inflater = zlib.decompressobj(-15)
            del buffer[:end + 4]
            self.handshake = False
        at, size = 0, len(buffer)
        while size - at >= 2:
            first, length = buffer[at], buffer[at + 1] & 0x7F
            head = 2
            if length == 126:
                if size - at < 4:
                    break
                length, head = int.from_bytes(buffer[at + 2:at + 4], "big"), 4
            elif length == 127:
                if size - at < 10:
                    break
                length, head = int.from_bytes(buffer[at + 2:at + 10], "big"), 10
            if size - at < head + length:
                break
            payload = bytes(buffer[at + head:at + head + length])
            at += head + length
            opcode = first & 0x0F
            if opcode == 8:
                self.server_closed = True
                self.transport.close()
                return
            if first & 0x40:
                payload = self.inflater.decompress(payload + b"\x00\x00\xff\xff")
            self.on_message(payload)
        del buffer[:at]

    def on_message(self, frame: bytes) -> None:
        if self.stage == 0:  # the Engine.IO open: connect to the namespace
            self.send("40")
            self.stage = 1
            return
        if frame == b"2":  # the heartbeat
            self.send("3")
            return
        if self.stage < 3:  # the namespace's connect ("40{...}"), then the connect-time frames
            self.left = self.on_connect_frames if self.stage == 1 else self.left - 1
            self.stage = 2
            if not self.left:
                self.stage = 3
                self.ready.set()
            return
        now = time.perf_counter()
        if self.counting:
            self.bytes += len(frame)
        if not frame.startswith(self.PREFIX):
            return
        project = frame[len(self.PREFIX):len(self.PREFIX) + 42]
        for index, needle in self.expected.get(project, ()):
            if index in self.seen_at or project in self.seen.get(index, ()):
                continue  # searched only until found: a client's CPU is the machine's
            if needle in frame:
                projects = self.seen.setdefault(index, set())
                projects.add(project)
                if len(projects) == self.allocations[index]["projects"]:
                    self.seen_at[index] = now

    def close(self) -> None:
        self.closing = True
        self.transport.close()


def measure() -> dict:
    from projects.selectors import project_addresses

    bodies = http._bodies()
    projects = project_addresses(epoch=_data.EPOCH)
    count = min(len(bodies), int(RATE * SECONDS))
    return _measure(bodies[:count], len(projects))


def _needles(bodies: list[dict]) -> dict[bytes, list]:
    """project (bytes) -> [(allocation index, the donor entry its frames carry once it is seen)]."""
    expected: dict[bytes, list] = {}
    for index, body in enumerate(bodies):
        for item in body["payload"]["allocations"]:
            needle = json.dumps({"address": body["userAddress"], "amount": item["amount"]}, separators=(",", ":"))
            expected.setdefault(item["proposalAddress"].encode(), []).append((index, needle.encode()))
    return expected


def _watch(clients: int, url: str, on_connect: int, expected: dict, allocations: list, pipe) -> None:
    """One watcher process (forked): `clients` sockets; says "ready" once all have their connect-time state,
    counts bytes from "count" to "window" (answering the bytes), then waits until every socket has seen
    every allocation (DRAIN at most) and sends what each saw and when."""

    async def run():
        loop = asyncio.get_running_loop()
        gc.disable()  # what the clients make holds no cycles; the collector's passes took a tenth of their CPU
        watchers = [Watcher(on_connect, expected, allocations) for _ in range(clients)]
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        await asyncio.gather(*(w.open(url, gate) for w in watchers))
        pipe.send("ready")
        await loop.run_in_executor(None, pipe.recv)  # "count"
        for watcher in watchers:
            watcher.counting = True
        await loop.run_in_executor(None, pipe.recv)  # "window": the last allocation is answered
        pipe.send(sum(w.bytes for w in watchers))
        deadline = time.monotonic() + DRAIN
        while time.monotonic() < deadline and any(len(w.seen_at) < len(allocations) for w in watchers):
            await asyncio.sleep(0.1)
        pipe.send({"seen": [w.seen_at for w in watchers], "bytes": sum(w.bytes for w in watchers),
                   "done": time.perf_counter(), "dropped": [w.dropped for w in watchers if w.dropped]})
        for watcher in watchers:
            watcher.close()

    asyncio.run(run())


def _measure(bodies: list[dict], project_count: int) -> dict:
    """The watchers run in WATCHER_PROCESSES forked processes (one Python process could not read what 1,000
    sockets receive: it became the bottleneck); perf_counter is the system's monotonic clock, the same in
    every process."""
    import multiprocessing

    url = f"ws://127.0.0.1:{PORT}/socket.io/?EIO=4&transport=websocket"
    expected = _needles(bodies)
    allocations = [{"projects": len(b["payload"]["allocations"])} for b in bodies]
    context, pipes, processes = multiprocessing.get_context("fork"), [], []
    started = time.perf_counter()
    for k in range(WATCHER_PROCESSES):
        ours, theirs = context.Pipe()
        share = CLIENTS // WATCHER_PROCESSES + (k < CLIENTS % WATCHER_PROCESSES)
        process = context.Process(target=_watch, args=(share, url, 2 + project_count, expected, allocations, theirs))
        process.start()
        pipes.append(ours)
        processes.append(process)
    for pipe in pipes:
        assert pipe.recv() == "ready"
    connected = time.perf_counter() - started

    sent_at, answered_at, statuses = [None] * len(bodies), [None] * len(bodies), []
    lock, next_index = threading.Lock(), [0]

    def run():
        """Allocations on a fixed schedule (RATE per second) from ALLOCATORS threads, so a slow answer does
        not slow the arrivals down."""
        client = http.Client()
        while True:
            with lock:
                index = next_index[0]
                next_index[0] += 1
            if index >= len(bodies):
                return
            pause = begin + index / RATE - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            sent_at[index] = time.perf_counter()
            status, _, _ = client.request("POST", "/allocations/allocate", bodies[index])
            answered_at[index] = time.perf_counter()
            statuses.append(status)

    for pipe in pipes:
        pipe.send("count")
    window_start = begin = time.perf_counter()
    threads = [threading.Thread(target=run) for _ in range(ALLOCATORS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    window = time.perf_counter() - window_start
    for pipe in pipes:
        pipe.send("window")
    bytes_in_window = sum(pipe.recv() for pipe in pipes)
    results = [pipe.recv() for pipe in pipes]
    for process in processes:
        process.join(timeout=60)
    seen = [seen_at for result in results for seen_at in result["seen"]]
    bytes_total = sum(result["bytes"] for result in results)
    total_seconds = max(result["done"] for result in results) - window_start

    delays, after_answer, per_client_max, missing, latest = [], [], [], 0, []
    for seen_at in seen:
        if len(seen_at) == len(bodies):  # holds the latest state: from the last allocation's POST to then
            latest.append(max(seen_at.values()) - sent_at[-1])
        worst = 0.0
        for index in range(len(bodies)):
            if index in seen_at:
                delay = seen_at[index] - sent_at[index]
                delays.append(delay)
                after_answer.append(seen_at[index] - answered_at[index])
                worst = max(worst, delay)
            else:
                missing += 1
        per_client_max.append(worst)
    answers = [a - s for s, a in zip(sent_at, answered_at)]
    return {
        "clients": CLIENTS, "allocations": len(bodies), "rate": len(bodies) / window, "connected": connected,
        "statuses": sorted(set(statuses)), "answer_p50": _backends.percentile(answers, 0.5),
        "answer_p99": _backends.percentile(answers, 0.99),
        "delay_p50": _backends.percentile(delays, 0.5) if delays else None,
        "delay_p99": _backends.percentile(delays, 0.99) if delays else None,
        "delay_max": max(delays) if delays else None, "missing": missing,
        "answer_delay_p50": _backends.percentile(after_answer, 0.5) if delays else None,
        "answer_delay_p99": _backends.percentile(after_answer, 0.99) if delays else None,
        "answer_delay_max": max(after_answer) if delays else None,
        "clients_within_target": sum(1 for worst, seen_at in zip(per_client_max, seen)
                                     if worst < TARGET and len(seen_at) == len(bodies)),
        "window": window, "bytes_window": bytes_in_window, "bytes_total": bytes_total, "seconds_total": total_seconds,
        "latest_p50": _backends.percentile(latest, 0.5) if latest else None,
        "latest_p99": _backends.percentile(latest, 0.99) if latest else None,
        "latest_max": max(latest) if latest else None, "not_latest": len(seen) - len(latest),
        "dropped": [reason for result in results for reason in result["dropped"]],
    }


class Memory(threading.Thread):
    """Samples the RSS of the given processes and all their descendants together, every 0.2 s; `peak` in MB."""

    def __init__(self, pids: list[int]):
        super().__init__(daemon=True)
        self.pids, self.peak, self.stop = pids, 0.0, threading.Event()
        self.parts: list[float] = []  # each given process with its descendants, MB, at the peak

    def run(self) -> None:
        import psutil

        while not self.stop.wait(0.2):
            parts = []
            for pid in self.pids:
                part = 0
                try:
                    root = psutil.Process(pid)
                    for process in [root, *root.children(recursive=True)]:
                        part += process.memory_info().rss
                except psutil.Error:
                    pass
                parts.append(part / 1e6)
            if sum(parts) > self.peak:
                self.peak, self.parts = sum(parts), parts


def main() -> int:
    redis_url = _backends.redis_url()
    if not redis_url:
        print("bench live needs Redis (BENCH_REDIS_URL)")
        return 1
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    processes = http.PROCESSES
    print(f"scale {_data.SCALE:g}: {http.USERS:,} users, {http.ALLOCATIONS:,} allocations, 100 projects; "
          f"{CLIENTS} clients; {RATE:g} allocations/s for {SECONDS:g} s; {processes} server processes, 1 worker "
          f"+ 1 broadcaster; "
          f"BROADCAST_MIN_INTERVAL_SECONDS={os.environ.get('BROADCAST_MIN_INTERVAL_SECONDS', '1 (default)')}, "
          f"LIVE_EGRESS_BYTES_PER_SECOND={os.environ.get('LIVE_EGRESS_BYTES_PER_SECOND', '(default)')}; "
          f"clients {'offer' if COMPRESSION else 'do not offer'} permessage-deflate; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}",
          flush=True)
    with _backends.fresh_database("octant_bench_live") as url:
        loaded = _backends.run_phase("bench.live", "load", url)
        print(f"loaded in {loaded['load']:.0f} s: {loaded['allocations']:,} allocations", flush=True)
        env = {**http._server_env(url, redis_url), "BROADCAST_QUEUE": "broadcasts"}
        server = subprocess.Popen([sys.executable, "scripts/serve.py", "--host", "127.0.0.1", "--port", str(PORT),
                                   "--processes", str(processes), "--", "--no-access-log",
                                   "--log-level", "warning"], cwd=ROOT, env=env)
        worker_log = os.environ.get("BENCH_LIVE_WORKER_LOG")  # a file: the workers' logs at INFO (task times)
        log = open(worker_log, "w") if worker_log else subprocess.DEVNULL
        level = "INFO" if worker_log else "WARNING"
        workers = [subprocess.Popen([sys.executable, "-m", "celery", "-A", "octant.celery", "worker", "-Q", queue,
                                     "-c", "1", "-n", f"{queue}@%h", f"--loglevel={level}"],
                                    cwd=ROOT, env=env, stdout=log, stderr=log if worker_log else None)
                   for queue in ("celery", "broadcasts")]
        memory = Memory([server.pid, *(worker.pid for worker in workers)])
        memory.start()
        try:
            http.PORT = PORT
            for _ in range(120):
                try:
                    if http.Client().request("GET", "/info/healthcheck")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.5)
            r = _backends.run_phase("bench.live", "measure", url, REDIS_URL=redis_url, BENCH_LIVE_PORT=str(PORT),
                                    BENCH_HTTP_PORT=str(PORT))
        finally:
            memory.stop.set()
            server.terminate()
            for worker in workers:
                worker.terminate()
            for process in [server, *workers]:  # a broadcaster waiting out a long interval does not stop: killed
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=30)
    print(f"\n{r['clients']} clients connected (with their connect-time state) in {r['connected']:.1f} s")
    print(f"{r['allocations']} allocations at {r['rate']:.1f}/s, answered {sorted(r['statuses'])}: "
          f"p50 {r['answer_p50'] * 1000:.0f} ms, p99 {r['answer_p99'] * 1000:.0f} ms")
    if r["delay_p50"] is not None:
        print(f"allocation (from its POST) -> seen by a client ({r['clients'] * r['allocations']:,} pairs): p50 "
              f"{r['delay_p50'] * 1000:.0f} ms, p99 {r['delay_p99'] * 1000:.0f} ms, max {r['delay_max'] * 1000:.0f} ms;"
              f" not seen within {DRAIN:g} s after the last: {r['missing']}")
        print(f"  the same from the POST's answer (the commit lies between the POST and its answer): p50 "
              f"{r['answer_delay_p50'] * 1000:.0f} ms, p99 {r['answer_delay_p99'] * 1000:.0f} ms, max "
              f"{r['answer_delay_max'] * 1000:.0f} ms")
    print(f"clients that saw every allocation within {TARGET:g} s: {r['clients_within_target']}/{r['clients']}")
    per_second = r["bytes_window"] / r["window"]
    print(f"bytes to all clients while allocations arrived: {per_second / 1e6:.1f} MB/s "
          f"({r['bytes_window'] / 1e6:.0f} MB in {r['window']:.1f} s; {per_second / r['clients'] / 1e3:.0f} "
          f"kB/s per client); until the last seen: {r['bytes_total'] / 1e6:.0f} MB in {r['seconds_total']:.1f} s")
    if r["latest_p50"] is not None:
        print(f"last allocation (its POST) -> a client holds the latest state: p50 {r['latest_p50']:.1f} s, p99 "
              f"{r['latest_p99']:.1f} s, max {r['latest_max']:.1f} s; clients not on it within {DRAIN:g} s: "
              f"{r['not_latest']}")
    reasons = ", ".join(f"{r['dropped'].count(why)} {why}" for why in sorted(set(r["dropped"])))
    print(f"sockets dropped: {len(r['dropped'])}{f' ({reasons})' if reasons else ''}; server processes' peak memory together (RSS): {memory.peak:.0f} MB "
          f"(target {MEMORY_TARGET_MB:g}; uvicorn, Celery worker, broadcaster: {', '.join(f'{p:.0f}' for p in memory.parts)} MB); load average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    ok = r["missing"] == 0 and r["delay_max"] is not None and r["delay_max"] < TARGET
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(_backends.worker(sys.argv[1:], {"load": load, "measure": measure}))
