"""scripts/webclient_serve.py, the web client's static server: the build's files, the app's page for its
routes, 404 for a missing file, and /api/v1/ forwarded to the service as it answers."""
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def served(tmp_path, http_stub):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<html>the app</html>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "scripts/webclient_serve.py", str(tmp_path), "--backend", http_stub.url,
                               "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert b"web client on" in server.stdout.readline()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_files_routes_and_the_safe_service_forwarded(served, http_stub):
    page = requests.get(served + "/project/2/0x1111111111111111111111111111111111111111", timeout=5)
    assert page.status_code == 200 and page.text == "<html>the app</html>" and page.headers["Cache-Control"] == "no-cache"
    script = requests.get(served + "/assets/index-abc123.js", timeout=5)
    assert script.text == "console.log(1)" and script.headers["Content-Type"] == "text/javascript"
    assert "immutable" in script.headers["Cache-Control"]
    assert requests.get(served + "/assets/index-gone.js", timeout=5).status_code == 404

    http_stub.on("GET", "/api/v1/safes/0xabc", (200, {"threshold": 2}))
    safe = requests.get(served + "/api/v1/safes/0xabc/", timeout=5)
    assert safe.status_code == 200 and safe.json() == {"threshold": 2}
    assert http_stub.requests[-1]["path"] == "/api/v1/safes/0xabc/"
    assert requests.get(served + "/api/v1/safes/0xdef/", timeout=5).status_code == 404  # as the service answers
    assert requests.post(served + "/api/v1/messages/", json={"a": 1}, timeout=5).status_code == 404
    assert http_stub.requests[-1]["body"] == {"a": 1}
