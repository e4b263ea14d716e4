"""octant.web.answers: the busiest reads shared before Django while nothing changed, against a real Redis."""
import json
import os
import time

import pytest
import redis
from asgiref.sync import async_to_sync

from octant.web import answers
from octant.web.answers import SharedAnswers

from tests.fixtures.asgi import asgi_request
from tests.fixtures.window import PROJECTS, USERS, sign

ESTIMATE = "/rewards/projects/estimated"


@pytest.fixture
def shared(settings):
    """A real Redis (the tests' own, else the machine's db 0) and copies kept 30 s."""
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("needs a Redis at " + url)
    settings.REDIS_URL = url
    settings.SHARED_ANSWERS_SECONDS = 30
    answers._sync_client = None
    yield settings
    answers._sync_client = None


class Counting:
    """An HTTP application that answers each request with its running count (and 404 for /missing)."""

    def __init__(self):
        self.calls = 0

    async def __call__(self, scope, receive, send):
        self.calls += 1
        await receive()
        status = 404 if scope["path"] == "/missing" else 200
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": str(self.calls).encode()})


def request(app, path, *, body=b"", **kwargs):
    return async_to_sync(asgi_request)(app, path, chunks=[body], **kwargs)


def test_an_answer_is_shared_until_a_write_or_a_task_changes_something(shared):
    inner = Counting()
    app = SharedAnswers(inner)
    assert request(app, ESTIMATE) == (200, b"1")
    assert request(app, ESTIMATE) == (200, b"1") and inner.calls == 1  # the copy, Django not entered
    assert request(app, "/epochs/info/4") == (200, b"2")
    assert request(app, "/epochs/info/4") == (200, b"2")

    assert request(app, "/allocations/allocate", method="POST", body=b"{}") == (200, b"3")  # any write
    assert request(app, ESTIMATE) == (200, b"4")
    assert request(app, ESTIMATE) == (200, b"4")

    other_process = SharedAnswers(inner)  # another server process: its own copy, the same generation
    assert request(other_process, ESTIMATE) == (200, b"5")
    answers.bump()  # a Celery task or a `chain` command finished
    assert request(app, ESTIMATE) == (200, b"6")
    assert request(other_process, ESTIMATE) == (200, b"7")


def test_only_plain_gets_of_the_listed_paths_are_shared_and_origins_apart(shared):
    inner = Counting()
    app = SharedAnswers(inner)
    for path, kwargs in [("/epochs/current", {}), (ESTIMATE, {"query": b"x=1"}), ("/missing", {}),
                         (ESTIMATE, {"headers": [(b"cookie", b"sessionid=1")]}),
                         (ESTIMATE, {"headers": [(b"authorization", b"Bearer x")]}),
                         (ESTIMATE, {"method": "HEAD"})]:
        before = inner.calls
        request(app, path, **kwargs)
        request(app, path, **kwargs)
        assert inner.calls == before + 2, (path, kwargs)
    one = [(b"origin", b"https://one.example")]
    two = [(b"origin", b"https://two.example")]
    assert request(app, ESTIMATE, headers=one) == request(app, ESTIMATE, headers=one)
    assert request(app, ESTIMATE, headers=two) != request(app, ESTIMATE, headers=one)


def test_copies_are_kept_apart_by_the_settings_that_change_a_figure(shared):
    """A process's copy built under one rule set is not the answer under another (a test's settings, or a
    server started again with other settings)."""
    inner = Counting()
    app = SharedAnswers(inner)
    shared.EXACT_REWARDS_FROM_EPOCH = None
    assert request(app, ESTIMATE) == request(app, ESTIMATE) == (200, b"1")
    shared.EXACT_REWARDS_FROM_EPOCH = 4
    assert request(app, ESTIMATE) == request(app, ESTIMATE) == (200, b"2")
    shared.EXACT_REWARDS_FROM_EPOCH = None
    assert request(app, ESTIMATE) == (200, b"1")


def test_a_copy_expires(shared):
    shared.SHARED_ANSWERS_SECONDS = 0.05
    inner = Counting()
    app = SharedAnswers(inner)
    assert request(app, ESTIMATE) == request(app, ESTIMATE) == (200, b"1")
    time.sleep(0.1)
    assert request(app, ESTIMATE) == (200, b"2")


def test_without_redis_nothing_is_shared_and_writes_still_answer(shared):
    shared.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    inner = Counting()
    app = SharedAnswers(inner)
    assert request(app, ESTIMATE) == (200, b"1")
    assert request(app, ESTIMATE) == (200, b"2")
    assert request(app, "/allocations/allocate", method="POST", body=b"{}") == (200, b"3")
    answers.bump()  # ignored


@pytest.mark.django_db(transaction=True)  # the application's threads see what the test wrote
def test_an_allocation_is_seen_by_the_next_estimate_through_the_real_application(shared, window, api):
    from octant.asgi import application

    status, before = request(application, ESTIMATE)
    assert status == 200 and request(application, ESTIMATE) == (200, before)
    body = json.dumps(sign(USERS[0], [(PROJECTS[0], 10**18)], 0)).encode()
    status, _ = request(application, "/allocations/allocate", method="POST", body=body,
                        headers=[(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())])
    assert status == 201
    status, after = request(application, ESTIMATE)
    assert status == 200 and after != before
    assert json.loads(after) == api.get(ESTIMATE).json()  # the same as Django answers now
