"""Serve the ASGI app with several daphne processes on one port (one per core by default): this process
binds the listening socket once and each daphne adopts it (`--fd`), the kernel handing each connection to
one of them. Stops them all on SIGTERM/SIGINT; if one exits, stops the rest and exits with its code.

    python scripts/serve.py [--host 0.0.0.0] [--port 8000] [--processes N] [-- extra daphne options]
(WEB_PROCESSES sets the default count.)"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import time


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--processes", type=int, default=int(os.environ.get("WEB_PROCESSES") or os.cpu_count() or 1))
    parser.add_argument("--app", default="octant.asgi:application")
    args, extra = parser.parse_known_args(argv)
    extra = [a for a in extra if a != "--"]
    listener = socket.create_server((args.host, args.port), backlog=1024)
    listener.set_inheritable(True)
    daphne = os.path.join(os.path.dirname(sys.executable), "daphne")
    command = [daphne if os.path.exists(daphne) else "daphne", "--fd", str(listener.fileno()), *extra, args.app]
    children = [subprocess.Popen(command, pass_fds=(listener.fileno(),)) for _ in range(max(1, args.processes))]

    def stop(*_):
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = 0
    while all(child.poll() is None for child in children):
        time.sleep(0.2)
    for child in children:
        if child.poll() is not None and child.returncode:
            code = child.returncode
    stop()
    for child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
    return code


if __name__ == "__main__":
    sys.exit(main())
