"""Serve the ASGI app with uvicorn: HTTP/1.1 and websockets, with flow control (a slow client holds back a
big answer instead of it piling up in memory), several worker processes sharing one port (one per core by
default; uvicorn restarts a worker that dies) and a graceful stop on SIGTERM/SIGINT. Websockets: the
`websockets` library's sans-I/O protocol (a send waits while the socket's transport buffer is full) in our
subclass (octant/web/websocket.py: broadcast frames compressed once for every socket) with
permessage-deflate for the clients that offer it (browsers do; without server context takeover, 12-bit
windows), and no websocket-level ping: the Engine.IO heartbeat (allocations.consumers) checks the
clients, and keeps one that is behind on the broadcasts but still reading.

    python scripts/serve.py [--host 0.0.0.0] [--port 8000] [--processes N] [-- extra uvicorn options]
(WEB_PROCESSES sets the default count.) Client addresses behind a reverse proxy come from the app's own rule
(octant/web/client_ip.py: NUM_PROXIES, TRUSTED_PROXIES), so uvicorn's reading of X-Forwarded-For stays off. At
start, the metric values of a former run's processes are removed from PROMETHEUS_MULTIPROC_DIR
(octant.core.metrics.clean_directory)."""
import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def command(argv=None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--processes", type=int, default=int(os.environ.get("WEB_PROCESSES") or os.cpu_count() or 1))
    parser.add_argument("--app", default="octant.asgi:application")
    args, extra = parser.parse_known_args(argv)
    return [sys.executable, "-m", "uvicorn", args.app, "--host", args.host, "--port", str(args.port),
            "--workers", str(max(1, args.processes)),
            "--lifespan", "off",  # Django and Channels have no lifespan events
            "--no-proxy-headers",
            "--ws", "octant.web.websocket:Protocol", "--ws-per-message-deflate", "true",
            "--ws-ping-interval", "0",  # the Socket.IO consumer's heartbeat, which spares a slow reader, is the one
            "--timeout-graceful-shutdown", "20",
            *[a for a in extra if a != "--"]]


def clean_metrics() -> None:
    """The metrics directory of the settings (the environment, .env, or var/metrics), set for the server's
    processes, without the values of processes that are gone."""
    import environ

    sys.path.insert(0, str(ROOT))
    environ.Env.read_env(ROOT / ".env", overwrite=False)
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(ROOT / "var" / "metrics"))
    from octant.core.metrics import clean_directory

    clean_directory()


if __name__ == "__main__":
    argv = command()
    clean_metrics()
    os.execv(argv[0], argv)
