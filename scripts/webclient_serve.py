"""Serves a built single-page app (Octant's web client, scripts/webclient.sh) on one port: its files as they
are, index.html for every other path without a file extension (the app routes), and /api/v1/ forwarded to the service, where the
client, on a local network, asks its own origin for the Safe Transaction Service. Standard library only.

    python3 scripts/webclient_serve.py DIST --backend http://127.0.0.1:8000 [--host H] [--port P]
"""
import argparse
import http.client
import mimetypes
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

FORWARDED = "/api/v1/"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization",
              "proxy-authenticate", "host"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, *args, dist: Path, backend: str, **kwargs):
        self.dist, self.backend = dist, urlsplit(backend)
        super().__init__(*args, **kwargs)

    def do_GET(self):
        if self.path.startswith(FORWARDED):
            return self.forward()
        path = urlsplit(self.path).path
        file = (self.dist / path.lstrip("/")).resolve()
        if not file.is_file() or not file.is_relative_to(self.dist):
            if "." in path.rsplit("/", 1)[-1]:  # a file that is not there
                return self.send_error(404)
            file = self.dist / "index.html"  # a route of the app
        hashed = file.parent.name == "assets"  # vite names them by content
        body = file.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", mimetypes.guess_type(file.name)[0] or "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "public, max-age=31536000, immutable" if hashed else "no-cache")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        connection_class = http.client.HTTPSConnection if self.backend.scheme == "https" else http.client.HTTPConnection
        upstream = connection_class(self.backend.netloc, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
        except OSError as error:
            self.send_error(502, f"The service at {self.backend.geturl()} does not answer: {error}")
            return
        finally:
            upstream.close()
        self.send_response(answer.status, answer.reason)
        for key, value in answer.getheaders():
            if key.lower() not in HOP_BY_HOP | {"content-length"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = forward

    def log_request(self, code="-", size="-"):  # failures only
        if not str(code).startswith(("2", "3")):
            super().log_request(code, size)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dist", type=Path)
    parser.add_argument("--backend", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5173)
    args = parser.parse_args()
    dist = args.dist.resolve()
    if not (dist / "index.html").is_file():
        parser.error(f"{dist} has no index.html")
    mimetypes.add_type("text/javascript", ".js")
    server = ThreadingHTTPServer((args.host, args.port), partial(Handler, dist=dist, backend=args.backend))
    server.daemon_threads = True
    print(f"Octant's web client on http://{args.host}:{args.port}/ (the service: {args.backend}). Ctrl-C stops.",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
