"""ASGI wrappers: of the HTTP application (Django's handler with one thread hop a request, the request-size
limit and body read timeout, the static files, and JSON for every error) and of the websockets (at most
SOCKETS_PER_IP open per client IP)."""
import asyncio
import collections
import json
import logging
from http import HTTPStatus

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler

from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.exceptions import SuspiciousOperation
from django.http import Http404

from .client_ip import client_ip

logger = logging.getLogger(__name__)


class SyncChainHandler(ASGIHandler):
    """Django's ASGI handler, with the middleware chain and the view run as plain sync code in the request's
    thread. Every view here is sync, and a sync middleware (ours, next to axes' async-capable one) made
    Django hop between the event loop and the request's thread three times a request; now it is once."""

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)


class StaticFiles(ASGIStaticFilesHandler):
    """Django's static files handler, with a path that tries to leave the static folder (`%2e%2e/`, which
    Django refuses as suspicious) answered 404 like any missing file instead of a 500."""

    def serve(self, request):
        try:
            return super().serve(request)
        except SuspiciousOperation:
            raise Http404("not found")


class BodyLimit:
    """Refuses an HTTP request body over settings.MAX_REQUEST_BYTES with 413 before the application sees it:
    at once when Content-Length says so, or as soon as a chunked body passes the limit; and a body not all
    received within settings.REQUEST_BODY_TIMEOUT seconds (a client sending it byte by byte holds a worker)
    with 408. A body within the limits is handed on as one message."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = settings.MAX_REQUEST_BYTES
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and not (length.isdigit() and len(length) <= 18 and int(length) <= limit):
            if length.isdigit():
                return await refuse(send, 413, f"Request body too large: at most {limit} bytes")
            return await refuse(send, 400, "Invalid request: bad Content-Length")
        body = bytearray()
        try:
            async with asyncio.timeout(settings.REQUEST_BODY_TIMEOUT):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return
                    body += message.get("body", b"")
                    if len(body) > limit:
                        return await refuse(send, 413, f"Request body too large: at most {limit} bytes")
                    if not message.get("more_body"):
                        break
        except TimeoutError:
            return await refuse(send, 408, f"Request body not received within {settings.REQUEST_BODY_TIMEOUT:g} s")
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()  # the application waits for the disconnect
            sent = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)


async def refuse(send, status: int, message: str, headers=()):
    """Answers `{"message": message}` with `status` and closes the connection (the body may be unread)."""
    content = json.dumps({"message": message}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        *headers, (b"content-type", b"application/json"), (b"content-length", str(len(content)).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": content})


class JsonErrors:
    """Every HTTP error answers the v2 error shape, `{"message": ...}`: an error page that is not JSON (DEBUG's
    technical pages; Django's handlers answer JSON already: octant.urls) is replaced by its status's, its
    headers kept (Allow, Retry-After, CORS) but its body's, and an exception that escapes the application
    before it answered is logged and answered with a JSON 500."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False
        replaced = None  # the start message of an error page being replaced

        async def json_send(message):
            nonlocal started, replaced
            if message["type"] == "http.response.start":
                started = True
                headers = [(name.lower(), value) for name, value in message.get("headers") or []]
                kind = dict(headers).get(b"content-type", b"").split(b";")[0].strip()
                if message["status"] >= 400 and kind != b"application/json":
                    replaced = message["status"], [(name, value) for name, value in headers
                                                   if name not in (b"content-type", b"content-length")]
                    return
            elif replaced is not None:
                if not message.get("more_body"):
                    status, headers = replaced
                    await refuse(send, status, HTTPStatus(status).phrase, headers)
                return
            await send(message)

        try:
            await self.app(scope, receive, json_send)
        except Exception:
            if started:
                raise
            logger.exception("Internal Server Error: %s", scope.get("path"))
            await refuse(send, 500, HTTPStatus(500).phrase)


class SocketLimit:
    """Refuses a websocket from a client IP (client_ip) that already has settings.SOCKETS_PER_IP open in this
    server process (0: no limit): accepted and closed at once with 1013 (try again later) and a reason,
    before the application sees it; the sockets already open stay."""

    def __init__(self, app):
        self.app = app
        self.open = collections.Counter()

    async def __call__(self, scope, receive, send):
        limit = settings.SOCKETS_PER_IP
        if scope["type"] != "websocket" or not limit:
            return await self.app(scope, receive, send)
        ip = client_ip(scope)
        if self.open[ip] >= limit:
            if (await receive())["type"] == "websocket.connect":
                await send({"type": "websocket.accept"})
                await send({"type": "websocket.close", "code": 1013,
                            "reason": f"Too many open connections from this address (at most {limit})"})
            return
        self.open[ip] += 1
        try:
            return await self.app(scope, receive, send)
        finally:
            self.open[ip] -= 1
            if not self.open[ip]:
                del self.open[ip]
