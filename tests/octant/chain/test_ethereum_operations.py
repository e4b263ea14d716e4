"""Operations on the ethereum backend: `manage.py index`, `manage.py chain status`, the healthcheck and
`/info/sync-status`."""
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from deposits.models import DepositEvent
from lifecycle.tasks import epochs_tick_task


def test_index_command_shows_progress_and_prints_counts(deployment):
    chain = deployment
    alice = chain.account(51)
    chain.set_projects(1, ["0x1111111111111111111111111111111111111111"])
    chain.travel(chain.start + 1)
    chain.lock(alice, 200 * 10**18)
    chain.sync_subgraph()
    out, err = StringIO(), StringIO()
    call_command("index", stdout=out, stderr=err)
    result = json.loads(out.getvalue())
    assert result["depositEvents"] == 1 and result["projects"] == 2 and result["block"] == chain.w3.eth.block_number
    assert result["sablierEvents"] == 0
    assert "lockeds" in err.getvalue() and "block" in err.getvalue()  # the progress bar
    out = StringIO()
    call_command("index", "--no-progress", stdout=out)
    assert json.loads(out.getvalue())["depositEvents"] == 0 and DepositEvent.objects.count() == 1


def test_index_command_reports_an_outage(deployment):
    deployment.subgraph.faults = [503] * 10
    with pytest.raises(CommandError, match="subgraph"):
        call_command("index", stdout=StringIO(), stderr=StringIO())


def test_chain_status_on_ethereum(deployment):
    chain = deployment
    chain.travel(chain.start + chain.duration + 5)
    out = StringIO()
    call_command("chain", "status", stdout=out)
    status = json.loads(out.getvalue())
    assert {k: status[k] for k in ("currentEpoch", "pendingEpoch", "finalizedEpoch", "decisionWindowOpen",
                                   "epochStart", "epochEnd")} == {
        "currentEpoch": 2, "pendingEpoch": 1, "finalizedEpoch": 0, "decisionWindowOpen": True,
        "epochStart": chain.start + chain.duration, "epochEnd": chain.start + 2 * chain.duration}
    assert status["now"] == chain.start + chain.duration + 5 and status["chainId"] == chain.w3.eth.chain_id
    with pytest.raises(CommandError, match="local chain"):
        call_command("chain", "time", "--advance", "10", stdout=StringIO())


def test_healthcheck_and_sync_status(deployment):
    chain, api = deployment, APIClient()
    chain.travel(chain.start + chain.duration + 5)
    epochs_tick_task()
    health = api.get("/info/healthcheck").json()
    assert {k: health[k] for k in ("blockchain", "db", "subgraph")} == {"blockchain": "UP", "db": "UP", "subgraph": "UP"}
    body = api.get("/info/sync-status").json()
    assert body["blockchainEpoch"] == 2 and body["indexedEpoch"] == 2
    assert body["blockchainHeight"] == body["indexedHeight"] == chain.w3.eth.block_number
    assert body["pendingSnapshot"] == "done"
    chain.subgraph.faults = [503] * 10
    response = api.get("/info/healthcheck")
    assert response.status_code == 500 and response.json()["subgraph"] == "DOWN"


def test_index_command_on_the_local_chain(chain):
    """The local chain's ledger is stored by the same services: what was written without a sync is indexed."""
    chain.lock("0x" + "ab" * 20, 5)
    chain.add_project(1, "0x" + "cd" * 20, name="One")
    chain.stream_create("0x" + "ab" * 20, 7, duration=100)
    out = StringIO()
    call_command("index", stdout=out)
    assert json.loads(out.getvalue()) == {"depositEvents": 1, "projects": 1, "sablierEvents": 1}
    out = StringIO()
    call_command("index", stdout=out)
    assert json.loads(out.getvalue()) == {"depositEvents": 0, "projects": 0, "sablierEvents": 0}
