"""The service under abuse (issue 10): request size, throttles, the admin lockout, the snapshot token, small
holes in path parameters and headers, deployment settings, and epochs that cannot be rewritten."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.core.management import CommandError, call_command

from octant.routing import websocket_urlpatterns
from projects.models import Project

from tests.fixtures.asgi import asgi_request
from tests.fixtures.chain import DURATION, START, take_pending_snapshot

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = "0x00000000000000000000000000000000000000AA"


# --- request size (item 3) ------------------------------------------------------------------------------

async def http(path, *, method="GET", headers=(), chunks=(b"",)):
    """One request through the project's ASGI application, as a server makes it; returns (status, body)."""
    from octant.asgi import application

    return await asgi_request(application, path, method=method, headers=headers, chunks=chunks, timeout=5)


@pytest.mark.django_db(transaction=True)
async def test_a_body_over_the_limit_is_refused_from_its_content_length(settings):
    settings.MAX_REQUEST_BYTES = 1000
    status, body = await http("/allocations/allocate", method="POST",
                              headers=[(b"content-length", b"200000000"), (b"content-type", b"application/json")],
                              chunks=[b"{"])  # the rest is never read
    assert status == 413 and json.loads(body) == {"message": "Request body too large: at most 1000 bytes"}


@pytest.mark.django_db(transaction=True)
async def test_a_chunked_body_is_refused_once_it_passes_the_limit(settings):
    settings.MAX_REQUEST_BYTES = 1000
    status, _ = await http("/allocations/allocate", method="POST", chunks=[b"[" * 600, b"[" * 600, b"]" * 1200])
    assert status == 413


@pytest.mark.django_db(transaction=True)
async def test_a_body_within_the_limit_reaches_the_view(settings):
    settings.MAX_REQUEST_BYTES = 1000
    status, body = await http("/allocations/allocate", method="POST",
                              headers=[(b"content-type", b"application/json")], chunks=[b"[1", b"]"])
    assert status in (400, 403) and b"message" in body  # the view answered (no window here)


@pytest.mark.django_db(transaction=True)
async def test_a_websocket_frame_over_the_limit_closes_the_socket(settings):
    settings.MAX_REQUEST_BYTES = 1000
    client = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/socket.io/?EIO=4&transport=websocket")
    assert (await client.connect())[0]
    opened = json.loads((await client.receive_from())[1:])
    assert opened["maxPayload"] == 1000
    await client.send_to(text_data="42" + json.dumps(["allocate", "x" * 2000]))
    closed = await client.receive_output(timeout=2)
    assert closed["type"] == "websocket.close" and closed["code"] == 1009
    await client.disconnect()


@pytest.mark.django_db(transaction=True)  # the connect-time state read
async def test_json_nested_too_deep_on_the_websocket_keeps_the_socket(settings):
    client = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/socket.io/?EIO=4&transport=websocket")
    assert (await client.connect(timeout=10))[0]
    await client.receive_from(timeout=10)
    await client.send_to(text_data="40")
    assert (await client.receive_from(timeout=10)).startswith("40")
    deep = "[" * 50_000 + "]" * 50_000
    await client.send_to(text_data="42" + deep)  # a whole packet nested too deep: ignored
    await client.send_to(text_data="42" + json.dumps(["allocate", deep]))  # an allocate body nested too deep
    await client.send_to(text_data="2probe")
    assert await client.receive_from(timeout=10) == "3probe"  # still alive
    await client.disconnect()


# --- small holes (item 8) -------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
async def test_static_path_traversal_is_a_404():
    status, _ = await http("/static/../../manage.py")
    assert status == 404


@pytest.mark.parametrize("value", ["١", "1_0", " 1", "1 ", "+1", "１"])
def test_epoch_path_parameters_take_ascii_digits_only(api, scheduled_chain, value):
    from urllib.parse import quote

    for path in ("/epochs/info/{}", "/snapshots/status/{}", "/rewards/budgets/epoch/{}"):
        response = api.get(path.format(quote(value)))
        assert response.status_code == 400 and "Must be an integer" in response.json()["message"], (path, value)
    if value.strip() != "1":  # the query's comma-separated list allows spaces around its items
        assert api.get(f"/projects/details?epochs={quote(value)}&searchPhrases=").status_code == 400


def test_addresses_need_their_0x(api, db):
    response = api.get(f"/allocations/users/{ADDRESS[2:]}/allocation_nonce")
    assert response.status_code == 400 and "Invalid address" in response.json()["message"]
    assert api.get(f"/allocations/users/{ADDRESS}/allocation_nonce").status_code == 200


def _production(database_url, *args, **environment):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "octant.settings.base", "DEBUG": "false",
           "SECRET_KEY": "k" * 20 + "a-long-random-production-secret-0123456789", "ALLOWED_HOSTS": "api.example.org",
           "DATABASE_URL": database_url, **environment}
    env.pop("REDIS_URL", None)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_deploy_check_is_clean_with_debug_off(scratch_database_url):
    result = _production(scratch_database_url, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("origins, expected", [("", "False []"),
                                               ("https://app.example.org", "False ['https://app.example.org']")])
def test_cors_is_the_configured_list_with_debug_off(scratch_database_url, origins, expected):
    result = _production(scratch_database_url, "shell", "-c", "from django.conf import settings; "
                         "print(settings.CORS_ALLOW_ALL_ORIGINS, settings.CORS_ALLOWED_ORIGINS)",
                         CORS_ALLOWED_ORIGINS=origins)
    assert result.stdout.strip().splitlines()[-1] == expected, result.stderr


# --- throttles, the admin lockout, the snapshot token (item 6) ------------------------------------------

def test_writes_are_throttled_per_client_ip(api, scheduled_chain, settings):
    settings.THROTTLE_RATES = {"read": None, "write": "2/minute", "heavy": None}
    body = {"glmAmount": "1", "numberOfEpochs": 1}
    for _ in range(2):
        assert api.post("/rewards/estimated_budget", body, format="json").status_code != 429
    response = api.post("/rewards/estimated_budget", body, format="json")
    assert response.status_code == 429 and response.json()["message"].startswith("Request was throttled")
    assert int(response["Retry-After"]) > 0
    assert api.get("/epochs/current").status_code == 200  # reads are not writes
    other = api.post("/rewards/estimated_budget", body, format="json", REMOTE_ADDR="10.9.9.9")
    assert other.status_code != 429  # another client


def test_heavy_reads_have_their_own_stricter_limit(api, scheduled_chain, settings):
    settings.THROTTLE_RATES = {"read": "100/minute", "write": None, "heavy": "1/minute"}
    assert api.get("/rewards/budgets/epoch/1").status_code != 429
    assert api.get("/rewards/budgets/epoch/1").status_code == 429
    assert api.get("/allocations/epoch/1").status_code == 429
    assert api.get("/snapshots/pending/simulate").status_code == 429
    assert api.get("/epochs/current").status_code == 200


def test_every_request_counts_against_the_read_limit(api, scheduled_chain, settings):
    settings.THROTTLE_RATES = {"read": "3/minute", "write": None, "heavy": None}
    assert [api.get("/epochs/current").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_snapshot_triggers_can_be_limited_to_a_token(api, scheduled_chain, settings):
    assert api.post("/snapshots/pending").status_code in (200, 201)  # open by default
    settings.SNAPSHOT_TRIGGER_TOKEN = "s3cret-token"
    for path in ("/snapshots/pending", "/snapshots/finalized"):
        assert api.post(path).status_code == 403
        assert api.post(path, HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
        assert api.post(path, HTTP_AUTHORIZATION="Bearer s3cret-token").status_code in (200, 201)


def test_admin_login_locks_out_after_repeated_failures(client, db, settings):
    from django.contrib.auth.models import User

    settings.AXES_ENABLED = True
    User.objects.create_superuser("root", "root@example.org", "right-password")
    statuses = [client.post("/admin/login/?next=/admin/", {"username": "root", "password": "wrong"}).status_code
                for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]  # the form again, then locked
    response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": "right-password"})
    assert response.status_code == 429  # locked out, the right password included
    assert client.get("/admin/").status_code == 302  # not logged in


# --- epochs that cannot be rewritten (item 9) -----------------------------------------------------------

def test_an_epoch_with_its_pending_snapshot_keeps_its_projects_and_proceeds(api, scheduled_chain):
    scheduled_chain.set_proceeds(1, 10**18)
    scheduled_chain.add_project(1, ADDRESS)
    scheduled_chain.set_time(timestamp=START + DURATION + 1)
    assert take_pending_snapshot() == 1
    before = api.get("/projects/epoch/1").json()
    for args in (("project", "add", "1", "0x00000000000000000000000000000000000000bB"),
                 ("proceeds", "1", str(5 * 10**18))):
        with pytest.raises(CommandError, match="Epoch 1 already has its pending snapshot"):
            call_command("chain", *args)
    assert api.get("/projects/epoch/1").json() == before
    assert list(Project.objects.filter(epoch=1).values_list("address", flat=True)) == [ADDRESS]
    call_command("chain", "project", "add", "2", "0x00000000000000000000000000000000000000bB")  # epoch 2: open
    call_command("chain", "proceeds", "2", str(5 * 10**18))
