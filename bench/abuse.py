"""Answer times of abusive requests against the production server (scripts/serve.py: uvicorn, DEBUG off, a fresh database, a local
chain in its allocation window), over a real socket:

    .venv/bin/python -m bench abuse

- an allocate body of 40,000 items naming two projects with a garbage signature (3.2 MB: over the body limit)
  and one of 10,000 items (0.8 MB: read, then refused for its item count), both before any lock;
- an allocate and a leverage simulation with a 5,000-digit amount;
- a JSON body nested 100,000 deep;
- a 10 MB body (refused with 413 from its Content-Length);
- a replayed patron-mode signature: the user allocated, switched patron mode on with the legacy text (its
  allocations withdrawn) and off again, and allocated again; then the old "enable" signature is sent again
  (issue 25). It must be refused, and the user's allocation must still be there afterwards.
Target: each answered (a 4xx) in under 50 ms. Then the websocket (/socket.io/):
- a flood of FLOOD_EVENTS `allocate` events on one socket as fast as it takes them: each answered (an
  `exception` event and its ack), at most the write limit's 60 a minute let through (the HTTP writes above
  count too), the others throttled, and the socket still open;
- SOCKETS_PER_IP (100) sockets from one address, then one more: closed at once with 1013.
BENCH_ABUSE_PORT (default 21090) is the server's port.
"""
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("BENCH_ABUSE_PORT", "21090"))
TARGET_MS = 50.0
FLOOD_EVENTS = 1_000
WRITES_PER_MINUTE = 60  # THROTTLE_WRITE_RATE's default
SOCKETS_PER_IP = 100  # its default
THROTTLED = "Request was throttled"
PROJECTS = ["0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222"]
USER_KEY = "0x" + "0b" * 32  # a bench-only key
START = 2_000_000_000


def _user() -> str:
    from eth_account import Account

    return Account.from_key(USER_KEY).address


USER = _user()


def _personal_sign(text: str) -> str:
    from eth_account import Account
    from eth_account.messages import encode_defunct

    return "0x" + bytes(Account.sign_message(encode_defunct(text=text), USER_KEY).signature).hex()


def _signed_allocation(amount: int, nonce: int, chain_id: int) -> bytes:
    from eth_account import Account

    from octant.core.signatures import allocation_typed_data

    payload = {"allocations": [{"proposalAddress": PROJECTS[0], "amount": str(amount)}], "nonce": nonce}
    signed = Account.sign_typed_data(USER_KEY, full_message=allocation_typed_data(payload, chain_id=chain_id))
    return json.dumps({"userAddress": USER, "payload": payload, "signature": "0x" + bytes(signed.signature).hex(),
                       "isManuallyEdited": False}).encode()


def _patron_replay_setup() -> bytes:
    """Allocate, switch patron mode on (the legacy text, as Octant's web client signs it) and off, allocate
    again; returns the body that replays the "enable" signature."""
    from octant.core.signatures import patron_mode_message

    chain_id = json.loads(_request("GET", "/info/chain-info")[2])["chainId"]
    enable = json.dumps({"signature": _personal_sign(patron_mode_message(USER, enable=True))}).encode()
    disable = json.dumps({"signature": _personal_sign(patron_mode_message(USER, enable=False))}).encode()
    steps = [("POST", "/allocations/allocate", _signed_allocation(10**15, 0, chain_id), 201),
             ("PATCH", f"/user/{USER}/patron-mode", enable, 200),
             ("PATCH", f"/user/{USER}/patron-mode", disable, 200),
             ("POST", "/allocations/allocate", _signed_allocation(2 * 10**15, 1, chain_id), 201)]
    for method, path, body, expected in steps:
        status, _, data = _request(method, path, body)
        assert status == expected, (method, path, status, data)
    return enable


def _allocated() -> list:
    return json.loads(_request("GET", f"/allocations/user/{USER}/epoch/1")[2])["allocations"]


def _env(database_url: str) -> dict:
    return dict(os.environ, DJANGO_SETTINGS_MODULE="octant.settings.base", DATABASE_URL=database_url,
                DEBUG="0", SECRET_KEY="bench-only-" + "x" * 50, ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="0",
                LOCAL_CHAIN_CLOCK_RUNNING="0", REDIS_URL="", LOG_LEVEL="ERROR", CHAIN_BACKEND="local")


def _manage(env, *args) -> None:
    subprocess.run([sys.executable, "manage.py", *map(str, args)], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def _seed(env) -> None:
    _manage(env, "migrate", "--noinput", "-v0")
    _manage(env, "chain", "time", "--set", START - 100)
    _manage(env, "chain", "configure", "--start", START, "--duration", 600, "--decision-window", 300)
    _manage(env, "chain", "proceeds", 1, 10**20)
    for project in PROJECTS:
        _manage(env, "chain", "project", "add", 1, project)
    _manage(env, "chain", "time", "--set", START + 10)
    _manage(env, "chain", "lock", USER, 10**23)
    _manage(env, "chain", "time", "--set", START + 610)


def _request(method: str, path: str, body: bytes = b"", headers: dict | None = None) -> tuple[int, float, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    started = time.perf_counter()
    try:
        try:
            connection.request(method, path, body=body,
                               headers={"Content-Type": "application/json", **(headers or {})})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered (413) and closed before the whole body was sent: read its answer
        response = connection.getresponse()
        data = response.read()
        return response.status, (time.perf_counter() - started) * 1000, data
    finally:
        connection.close()


def _wait_ready(process) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            with socket.create_connection(("127.0.0.1", PORT), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def _allocate(items: int, amount: str = "0") -> bytes:
    return json.dumps({"userAddress": USER, "payload": {"allocations": [
        {"proposalAddress": PROJECTS[i % 2], "amount": amount} for i in range(items)], "nonce": 0},
        "signature": "0x" + "ab" * 65, "isManuallyEdited": False}).encode()


def main() -> int:
    from bench._backends import fresh_database

    with fresh_database("octant_bench_abuse") as database_url:
        env = _env(database_url)
        _seed(env)
        server = subprocess.Popen([sys.executable, "scripts/serve.py", "--host", "127.0.0.1", "--port", str(PORT),
                                   "--processes", "1", "--", "--no-access-log"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_ready(server)
            status, _, _ = _request("POST", "/snapshots/pending")
            assert status == 201, status
            _request("GET", "/epochs/current")  # warm up
            _request("POST", "/allocations/allocate", _allocate(1))
            replay = _patron_replay_setup()
            allocated = _allocated()
            cases = [
                ("allocate, 40,000 items (3.2 MB)", "POST", "/allocations/allocate", _allocate(40_000), {}),
                ("allocate, 10,000 items (0.8 MB)", "POST", "/allocations/allocate", _allocate(10_000), {}),
                ("allocate, 5,000-digit amount", "POST", "/allocations/allocate", _allocate(1, "9" * 5_000), {}),
                ("leverage, 5,000-digit amount", "POST", f"/allocations/leverage/{USER}",
                 json.dumps({"allocations": [{"proposalAddress": PROJECTS[0], "amount": "9" * 5_000}]}).encode(), {}),
                ("JSON nested 100,000 deep", "POST", "/allocations/allocate", b"[" * 100_000 + b"]" * 100_000, {}),
                ("10 MB body", "POST", "/allocations/allocate", b" " * 10_000_000, {}),
                ("patron mode, replayed signature", "PATCH", f"/user/{USER}/patron-mode", replay, {}),
            ]
            failed = False
            print(f"{'request':36} {'status':>6} {'ms (best of 5)':>15}")
            for name, method, path, body, headers in cases:
                try:
                    runs = [_request(method, path, body, headers) for _ in range(5)]
                except ConnectionError as exc:  # the server closed before the body was sent: no answer read
                    failed = True
                    print(f"{name:36} {type(exc).__name__}   <- no answer")
                    continue
                statuses = {status for status, _, _ in runs}
                best = min(ms for _, ms, _ in runs)
                ok = best < TARGET_MS and all(400 <= s < 500 for s in statuses)
                failed |= not ok
                print(f"{name:36} {'/'.join(map(str, sorted(statuses))):>6} {best:15.1f}"
                      + ("" if ok else "   <- over target or not a 4xx"))
            kept = _allocated() == allocated != []
            failed |= not kept
            print("the replayed patron-mode signature left the user's allocation "
                  + ("in place" if kept else "WITHDRAWN   <- the replay changed state"))
            print(f"target: each a 4xx in under {TARGET_MS:.0f} ms")
            failed |= not _socket_flood()
            failed |= not _socket_count()
            return 1 if failed else 0
        finally:
            server.terminate()
            server.wait(10)


def _socket(timeout: float = 10):
    from websockets.sync.client import connect

    socket = connect(f"ws://127.0.0.1:{PORT}/socket.io/?EIO=4&transport=websocket", open_timeout=timeout)
    assert socket.recv(timeout=timeout).startswith("0{")  # the Engine.IO open packet
    return socket


def _socket_flood() -> bool:
    """FLOOD_EVENTS allocate events sent at once on one socket; every answer read back."""
    socket = _socket()
    try:
        socket.send("40")
        assert socket.recv(timeout=10).startswith("40")  # then the state of the open window, ignored below
        body = json.dumps(_allocate(1).decode())
        started = time.perf_counter()
        for ack in range(FLOOD_EVENTS):
            socket.send(f"42{ack}[\"allocate\",{body}]")
        acks, passed, throttled = 0, 0, 0
        while acks < FLOOD_EVENTS:
            frame = socket.recv(timeout=60)
            if frame.startswith("43"):
                acks += 1
            elif frame.startswith('42["exception"'):
                if THROTTLED in frame:
                    throttled += 1
                else:
                    passed += 1
        seconds = time.perf_counter() - started
        socket.send("2")
        alive = socket.recv(timeout=10) == "3"
    finally:
        socket.close()
    ok = alive and passed <= WRITES_PER_MINUTE and passed + throttled == FLOOD_EVENTS
    print(f"websocket flood: {FLOOD_EVENTS} allocate events answered in {seconds:.2f} s "
          f"({FLOOD_EVENTS / seconds:.0f}/s): {passed} let through, {throttled} throttled, socket "
          + ("kept" if alive else "lost") + ("" if ok else f"   <- over {WRITES_PER_MINUTE} let through or lost"))
    return ok


def _socket_count() -> bool:
    """SOCKETS_PER_IP sockets from 127.0.0.1, then one more."""
    from websockets.exceptions import ConnectionClosed

    sockets = [_socket() for _ in range(SOCKETS_PER_IP)]
    try:
        started = time.perf_counter()
        code = None
        try:
            _socket().close()
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
        ms = (time.perf_counter() - started) * 1000
    finally:
        for socket in sockets:
            socket.close()
    ok = code == 1013
    print(f"websocket socket {SOCKETS_PER_IP + 1} from one address: closed with {code} in {ms:.1f} ms"
          + ("" if ok else "   <- not refused"))
    return ok


if __name__ == "__main__":
    sys.exit(main())
