"""Every error answers JSON in the v2 error shape (issue 25, item 10), through the project's ASGI application
as a server calls it, with DEBUG off (Django's handlers) and on (its technical pages, replaced at the ASGI
layer); and a request body not received within REQUEST_BODY_TIMEOUT is cut off with a 408."""
import asyncio
import json
import time

import pytest
from asgiref.testing import ApplicationCommunicator
from django.test import Client

from octant.web.asgi import JsonErrors

from tests.fixtures.asgi import asgi_answer, asgi_exchange, asgi_scope


async def request(path, *, app=None, method="GET", host=b"testserver", headers=(), body=b""):
    """One request through the ASGI application (octant.asgi's unless `app`); returns (status, headers, body)."""
    if app is None:
        from octant.asgi import application as app
    start, content = await asgi_exchange(app, path, method=method, host=host, headers=headers, chunks=(body,))
    return start["status"], dict((k.lower(), v) for k, v in start["headers"]), content


def _is_json_error(headers, body):
    return headers[b"content-type"] == b"application/json" and set(json.loads(body)) == {"message"}


@pytest.fixture(params=[False, True], ids=["DEBUG off", "DEBUG on"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.mark.django_db(transaction=True)
async def test_a_bad_host_header_is_a_json_400(debug):
    status, headers, body = await request("/epochs/current", host=b"evil.example")
    assert status == 400 and _is_json_error(headers, body), body[:200]
    if not debug:
        assert json.loads(body) == {"message": "Bad Request: invalid Host header"}


async def test_a_static_path_leaving_the_folder_is_a_json_404(debug):
    status, headers, body = await request("/static/%2e%2e/%2e%2e/manage.py")
    assert status == 404 and _is_json_error(headers, body), body[:200]


@pytest.mark.django_db(transaction=True)
async def test_an_unhandled_exception_in_a_view_is_a_json_500(debug, monkeypatch):
    from octant import info_apis

    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setattr(info_apis, "version_id", broken)  # a bug in a view
    status, headers, body = await request("/info/version")
    assert status == 500 and _is_json_error(headers, body) and b"a bug" not in body, body[:200]
    assert json.loads(body) == {"message": "Internal Server Error"}


@pytest.mark.django_db
def test_django_s_error_views_answer_json_outside_the_asgi_layer_too():
    client = Client(raise_request_exception=False)
    response = client.get("/epochs/current", HTTP_HOST="evil.example")
    assert response.status_code == 400 and response.json() == {"message": "Bad Request: invalid Host header"}


async def test_an_exception_outside_django_is_a_json_500():
    async def broken(scope, receive, send):
        raise RuntimeError("a bug before any answer")

    status, headers, body = await request("/x", app=JsonErrors(broken))
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})


async def test_an_error_page_keeps_its_headers_but_answers_json():
    async def html_405(scope, receive, send):
        await send({"type": "http.response.start", "status": 405, "headers": [
            (b"Content-Type", b"text/html; charset=utf-8"), (b"Allow", b"GET"), (b"Content-Length", b"11")]})
        await send({"type": "http.response.body", "body": b"<p>no</p>\n ", "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    status, headers, body = await request("/x", app=JsonErrors(html_405))
    assert (status, headers[b"allow"], json.loads(body)) == (405, b"GET", {"message": "Method Not Allowed"})
    assert headers[b"content-length"] == str(len(body)).encode()


# --- the body read timeout -------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
async def test_a_body_sent_byte_by_byte_is_cut_off_with_a_408(settings):
    from octant.asgi import application

    settings.REQUEST_BODY_TIMEOUT = 0.5
    communicator = ApplicationCommunicator(application, asgi_scope(
        "/allocations/allocate", method="POST",
        headers=[(b"content-type", b"application/json"), (b"content-length", b"100000")]))
    began = time.monotonic()

    async def trickle():
        while True:  # one byte every 50 ms, never the end
            await communicator.send_input({"type": "http.request", "body": b"[", "more_body": True})
            await asyncio.sleep(0.05)

    sender = asyncio.ensure_future(trickle())
    try:
        start, body = await asgi_answer(communicator, timeout=5)
    finally:
        sender.cancel()
    assert 0.5 <= time.monotonic() - began < 3
    headers = dict(start["headers"])
    assert start["status"] == 408 and headers[b"connection"] == b"close"
    assert json.loads(body) == {"message": "Request body not received within 0.5 s"}
    await communicator.wait(5)


@pytest.mark.django_db(transaction=True)
async def test_a_body_received_in_time_reaches_the_view(settings):
    settings.REQUEST_BODY_TIMEOUT = 5
    status, headers, body = await request("/allocations/allocate", method="POST",
                                          headers=[(b"content-type", b"application/json")], body=b"[1]")
    assert status in (400, 403) and b"message" in body  # the view answered (no window here)
