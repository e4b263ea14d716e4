"""Metrics and logs (issue 26, items 1 and 3): `/metrics` behind its token, each series moving after an
allocation, a broadcast, a Celery task and a finalization; one JSON log line per request and per task,
sharing the request id across a real Celery worker; no signature in the logs. Through the production ASGI
application (octant.asgi), a real websocket (Channels' communicator) and the multiprocess value files."""
import io
import json
import logging

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings
from prometheus_client.parser import text_string_to_metric_families

from allocations import services
from epochs.selectors import chain_view
from octant.asgi import application
from octant.core import logs, metrics
from octant.core.logs import JsonFormatter

from tests.allocations.test_broadcast_coalescing import worker  # noqa: F401 - a real Celery worker thread
from tests.allocations.test_socketio import receive_frames, socket_open
from tests.fixtures.asgi import asgi_request
from tests.fixtures.chain import DURATION, START, WINDOW
from tests.fixtures.window import EPOCH, PROJECTS, USERS, sign

pytestmark = pytest.mark.django_db(transaction=True)

ALICE, BOB, CAROL = USERS
P1, P2, P3 = PROJECTS
TOKEN = "scrape-me-7f3a"
ON_CONNECT = 1 + 1 + len(PROJECTS)  # threshold, project_rewards, one project_donors per project


async def request(path, *, method="GET", body=None, headers=()):
    """(status, body, headers) of one request through the production ASGI application."""
    answer = {}

    async def app(scope, receive, send):
        async def keep(message):
            if message["type"] == "http.response.start":
                answer.update(message)
            await send(message)
        await application(scope, receive, keep)

    chunks = (json.dumps(body).encode(),) if body is not None else (b"",)
    if body is not None:
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(chunks[0])).encode()),
                   *headers]
    status, content = await asgi_request(app, path, method=method, headers=headers, chunks=chunks)
    return status, content, {name.lower(): value for name, value in answer["headers"]}


async def scrape() -> dict:
    """Every sample of /metrics: {(name, sorted labels): value}."""
    status, body, _ = await request("/metrics", headers=[(b"authorization", f"Bearer {TOKEN}".encode())])
    assert status == 200, body
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(body.decode()) for sample in family.samples}


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@override_settings(METRICS_TOKEN="")
async def test_metrics_answers_404_without_a_token_configured():
    status, _, _ = await request("/metrics")
    assert status == 404


@override_settings(METRICS_TOKEN=TOKEN)
@pytest.mark.parametrize("authorization", [None, b"Bearer wrong", TOKEN.encode(), b"Basic " + TOKEN.encode()])
async def test_metrics_refuses_a_missing_or_wrong_token(authorization):
    headers = [(b"authorization", authorization)] if authorization else []
    status, body, answer_headers = await request("/metrics", headers=headers)
    assert status == 401 and b"octant_" not in body
    assert answer_headers[b"www-authenticate"] == b"Bearer"


@override_settings(METRICS_TOKEN=TOKEN, BROADCAST_MIN_INTERVAL_SECONDS=0, FUNDING_REBUILD_DELAY_SECONDS=0)
async def test_each_series_moves_after_an_allocation_a_broadcast_a_task_and_a_finalization(window):
    before = await scrape()
    client = await socket_open()
    await receive_frames(client, ON_CONNECT)
    during = await scrape()
    assert value(during, "octant_websocket_connections") == value(before, "octant_websocket_connections") + 1

    status, answer, _ = await request("/allocations/allocate", method="POST", body=sign(ALICE, [(P1, 10**15)], 0))
    assert status == 201, answer
    broadcast = await receive_frames(client, 2)  # project_rewards, P1's donors
    status, _, _ = await request("/allocations/allocate", method="POST", body=sign(ALICE, [(P1, 10**15)], 0))
    assert status == 400  # the nonce is used
    status, _, _ = await request("/allocations/allocate", method="POST", body=sign(ALICE, [(P2, 10**15)], 1))
    assert status == 201  # replaces P1: the aggregates' rebuild task runs (eagerly, in tests)
    await receive_frames(client, 3)

    await database_sync_to_async(window.set_time)(timestamp=START + EPOCH * DURATION + WINDOW + 1)  # window closes
    from lifecycle.tasks import epochs_tick_task

    tick = await database_sync_to_async(lambda: epochs_tick_task.delay().get())()
    assert tick["finalizedSnapshot"] == EPOCH
    metrics.record_verification(epoch=EPOCH, passed=True)
    after = await scrape()
    await client.disconnect()

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    allocate = {"method": "POST", "route": "/allocations/allocate"}
    assert moved("octant_http_request_duration_seconds_count", **allocate, status="201") == 2
    assert moved("octant_http_request_duration_seconds_count", **allocate, status="400") == 1
    assert moved("octant_http_request_duration_seconds_count", method="GET", route="/metrics", status="200") == 2
    assert moved("octant_allocations_total", result="accepted", reason="") == 2
    assert moved("octant_allocations_total", result="refused", reason="WrongAllocationsNonce") == 1
    assert moved("octant_broadcasts_total") == 2
    assert moved("octant_broadcast_bytes_total") >= sum(map(len, broadcast))
    assert moved("octant_broadcast_build_seconds_count") == 2
    assert moved("octant_broadcast_delivery_seconds_count") == 2
    assert value(after, "octant_broadcast_last_socket_delay_seconds") > 0
    rebuild = "allocations.tasks.project_funding_rebuild"
    assert moved("octant_celery_tasks_total", task=rebuild, outcome="succeeded") == 1
    assert moved("octant_celery_tasks_total", task="epochs.tasks.epochs_tick", outcome="succeeded") == 1
    assert moved("octant_celery_task_duration_seconds_count", task="epochs.tasks.epochs_tick") == 1
    assert ("octant_celery_queue_length", (("queue", "celery"),)) in after
    assert moved("octant_snapshot_duration_seconds_count", kind="finalized") == 1
    head = await database_sync_to_async(lambda: window.block_height())()
    assert value(after, "octant_chain_head_block") == head
    assert value(after, "octant_chain_indexed_block") == head  # the local chain indexes itself
    assert value(after, "octant_chain_epoch", which="chain") == EPOCH + 1
    assert value(after, "octant_chain_epoch", which="indexed") == EPOCH + 1
    assert value(after, "octant_epochs_tick_last_success_timestamp_seconds") > 0
    assert moved("octant_epoch_verifications_total", result="pass") == 1
    assert value(after, "octant_epoch_verification_passed", epoch=str(EPOCH)) == 1
    assert value(await scrape(), "octant_websocket_connections") == value(before, "octant_websocket_connections")


@override_settings(THROTTLE_RATES={"read": "1/minute", "write": None, "heavy": None})
async def test_a_throttled_request_is_counted():
    before = value(await metrics_now(), "octant_throttled_requests_total", scope="read")
    statuses = [(await request("/epochs/current"))[0] for _ in range(2)]
    assert statuses == [200, 429]
    assert value(await metrics_now(), "octant_throttled_requests_total", scope="read") == before + 1


async def metrics_now() -> dict:
    with override_settings(METRICS_TOKEN=TOKEN, THROTTLE_RATES={"read": None, "write": None, "heavy": None}):
        return await scrape()


# --- logs ----------------------------------------------------------------------------------------------------

@pytest.fixture
def log_lines():
    """Every log record of the test, as the service writes it (JSON lines), at DEBUG and above."""
    stream, root = io.StringIO(), logging.getLogger()
    handler, level = logging.StreamHandler(stream), root.level
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@override_settings(FUNDING_REBUILD_DELAY_SECONDS=0, BROADCAST_MIN_INTERVAL_SECONDS=0)
async def test_a_request_and_the_task_it_queues_log_the_same_request_id(window, worker, log_lines):  # noqa: F811
    import asyncio

    await database_sync_to_async(lambda: services.allocate(
        user_address=ALICE.address, allocations=[(P1, 10**15)], nonce=0, signature=sign(ALICE, [(P1, 10**15)], 0)[
            "signature"], is_manually_edited=False, view=chain_view()))()
    status, _, headers = await request("/allocations/allocate", method="POST", body=sign(ALICE, [(P2, 10**15)], 1),
                                       headers=[(b"x-request-id", b"req-7.abc_XYZ")])
    assert status == 201 and headers[b"x-request-id"] == b"req-7.abc_XYZ"
    rebuild = "allocations.tasks.project_funding_rebuild"
    for _ in range(100):  # the worker thread runs it
        tasks = [line for line in log_lines() if line["logger"] == "octant.tasks" and line.get("task") == rebuild]
        if tasks:
            break
        await asyncio.sleep(0.1)
    [requested] = [line for line in log_lines() if line["logger"] == "octant.requests"]
    assert requested["request_id"] == "req-7.abc_XYZ"
    assert {k: requested[k] for k in ("method", "route", "status", "user", "epoch")} == {
        "method": "POST", "route": "/allocations/allocate", "status": 201, "user": ALICE.address, "epoch": EPOCH}
    assert tasks and tasks[0]["request_id"] == "req-7.abc_XYZ" and tasks[0]["state"] == "SUCCESS"


async def test_an_insane_request_id_is_replaced_and_the_route_is_the_template(db, log_lines):
    status, _, headers = await request(f"/allocations/user/{ALICE.address}/epoch/3",
                                       headers=[(b"x-request-id", b"a b\"c" + b"x" * 200)])
    rid = headers[b"x-request-id"].decode()
    assert rid != "a b\"c" and logs.SANE_REQUEST_ID.fullmatch(rid)
    [line] = [line for line in log_lines() if line["logger"] == "octant.requests"]
    assert (line["request_id"], line["route"], line["user"], line["epoch"]) == (
        rid, "/allocations/user/<str:user_address>/epoch/<str:epoch_number>", ALICE.address, "3")


@override_settings(METRICS_TOKEN=TOKEN)
async def test_no_signature_or_token_reaches_the_logs(window, log_lines):
    forged = sign(BOB, [(P1, 10**15)], 0) | {"userAddress": ALICE.address}  # Bob's signature for Alice
    status, answer, _ = await request("/allocations/allocate", method="POST", body=forged,
                                      headers=[(b"cookie", b"sessionid=secret-cookie")])
    assert status == 400 and forged["signature"][2:].encode() in answer  # the client is told
    logging.getLogger("octant.test").warning("refused: %s", json.loads(answer)["message"])
    good = sign(ALICE, [(P1, 10**15)], 0)
    assert (await request("/allocations/allocate", method="POST", body=good))[0] == 201
    await scrape()
    text = json.dumps(log_lines())
    assert "[redacted]" in text and "refused" in text and "/allocations/allocate" in text
    for secret in (forged["signature"][2:], good["signature"][2:], TOKEN, "secret-cookie"):
        assert secret not in text
