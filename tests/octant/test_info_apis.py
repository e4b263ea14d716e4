import pytest
from django.test import override_settings
from model_bakery import baker

from epochs.models import PendingEpochSnapshot

from tests.fixtures.chain import DURATION, START


def test_version(api, db):
    import subprocess

    import octant

    commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert commit and octant.__version__ == "0.1.0"
    assert api.get("/info/version").json() == {"id": f"0.1.0+{commit}", "env": "dev", "chain": "localchain"}
    with override_settings(DEPLOYMENT_ID="deploy-7", OCTANT_ENV="production"):
        assert api.get("/info/version").json() == {"id": "deploy-7", "env": "prod", "chain": "localchain"}


def test_chain_info_lists_contracts_in_the_reference_order(api, db):
    body = api.get("/info/chain-info").json()
    assert body["chainName"] == "localchain" and body["chainId"] == 1337
    assert [c["name"] for c in body["smartContracts"]] == [
        "Auth", "Deposits", "Epochs", "GLM", "Projects", "Vault", "WithdrawalsTarget",
        "RegenStaker"]  # the local chain's, last: Octant v2's staking, whose minimum the web client reads
    assert all(c["address"].startswith("0x") and len(c["address"]) == 42 for c in body["smartContracts"])


def test_healthcheck_up(api, db, settings):
    response = api.get("/info/healthcheck")
    expected = {"blockchain": "UP", "db": "UP", "subgraph": "UP"}
    if settings.REDIS_URL:
        expected["redis"] = "UP"
    assert response.status_code == 200 and response.json() == expected


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_healthcheck_reports_a_down_redis_with_500(api, db):
    response = api.get("/info/healthcheck")
    assert response.status_code == 500 and response.json()["redis"] == "DOWN"
    assert response.json()["db"] == "UP"


def test_healthcheck_reports_a_failing_chain_backend_with_500(api, db, monkeypatch):
    from octant.chain.backends import get_chain

    def broken():
        raise ConnectionError("rpc down")

    monkeypatch.setattr(get_chain(), "health", broken)
    response = api.get("/info/healthcheck")
    assert response.status_code == 500
    assert response.json()["blockchain"] == "DOWN" and response.json()["subgraph"] == "DOWN"
    assert response.json()["db"] == "UP"


@pytest.mark.parametrize("now_offset, snapshots, expected", [
    (0, [], ("not_applicable", "not_applicable")),
    (DURATION + 1, [], ("in_progress", "too_early")),
    (DURATION + 1, [1], ("done", "too_early")),
    (2 * DURATION - 1, [1], ("done", "in_progress")),
])
def test_sync_status(api, scheduled_chain, now_offset, snapshots, expected):
    scheduled_chain.set_time(timestamp=START + now_offset)
    for epoch in snapshots:
        baker.make(PendingEpochSnapshot, epoch=epoch)
    body = api.get("/info/sync-status").json()
    assert (body["pendingSnapshot"], body["finalizedSnapshot"]) == expected
    assert body["blockchainEpoch"] == body["indexedEpoch"] == scheduled_chain.current_epoch()


def test_openapi_schema_is_valid_and_docs_are_served_offline(api, db):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
    schema = api.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/rewards/budget/{user_address}/epoch/{epoch_number}"]["get"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert parameters["user_address"]["pattern"] == "^0x[0-9a-fA-F]{40}$"
    assert parameters["epoch_number"]["type"] == "integer"
    docs = api.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content and b"//cdn" not in docs.content


def test_websockets_api_in_asyncapi(api, db):
    import yaml

    response = api.get("/info/websockets-api.yaml")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/yaml")
    spec = yaml.safe_load(response.content)
    assert spec["asyncapi"].startswith("2.") and spec["servers"]["local"]["protocol"] == "ws"
    assert set(spec["components"]["messages"]) == {"allocate", "threshold", "project_rewards", "project_donors",
                                                   "exception"}
    page = api.get("/info/websockets-api")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    for name in ("allocate", "threshold", "project_rewards", "project_donors", "exception"):
        assert f"<code>{name}</code>" in html
    assert "<script" not in html and "http://" not in html.replace('href="websockets-api.yaml"', "")
    assert api.post("/info/websockets-api").status_code == 405
    assert api.post("/info/websockets-api").json() == {"message": "Method Not Allowed"}


def test_websockets_api_page_renders_markdown_and_pretty_examples(api, db):
    """Issue 25, item 15: a message's title and summary apart, markdown rendered (no literal backticks), each
    payload example pretty JSON, escaped once."""
    html = api.get("/info/websockets-api").content.decode()
    page = html[:html.index("<h2>Document</h2>")]  # the YAML source itself is shown verbatim below
    assert "`" not in page
    assert "<code>POST /allocations/allocate</code>" in page and "<code>/</code>" in page
    assert "<strong>Allocate a budget</strong>" in page
    assert "Allocate a budget The body" not in page  # the title and the summary do not run together
    assert "<li>On connect, during an allocation window:" in page  # the description's list
    assert '\\"' not in page and "&amp;quot;" not in page  # no example escaped twice
    assert '{\n  &quot;userAddress&quot;: &quot;0x4a62316623ad457F02cDC5D997deD67a383EC569&quot;,\n' in page
    assert '{\n  &quot;threshold&quot;: &quot;0&quot;\n}' in page
