"""A real HTTP server on 127.0.0.1 (ephemeral port) that plays scripted JSON answers, standing in for an
external service (Gitcoin Passport Scorer, Safe Transaction Service) in tests."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

HANG = "hang"  # an answer that never comes in time (the client's timeout fires)


class StubServer:
    def __init__(self):
        self.routes: dict[tuple[str, str], list] = {}
        self.requests: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                stub.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                      "body": json.loads(body) if body else None})
                answers = stub.routes.get((self.command, self.path.rstrip("/")))
                if not answers:
                    status, payload, headers = 404, {"detail": "Not found."}, {}
                else:
                    answer = answers.pop(0) if len(answers) > 1 else answers[0]
                    if answer == HANG:
                        time.sleep(2)
                        return
                    status, payload, headers = (answer + ({},))[:3] if len(answer) == 2 else answer
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def on(self, method: str, path: str, *answers) -> None:
        """Answers, in order, for `method path`: (status, json) or (status, json, headers) or HANG; the
        last one repeats."""
        self.routes[(method, path.rstrip("/"))] = list(answers)

    def calls(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if r["method"] == method and r["path"].rstrip("/") == path.rstrip("/"))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_stub():
    stub = StubServer()
    yield stub
    stub.close()
