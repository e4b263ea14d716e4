"""ASGI wrappers: of the HTTP application (Django's handler with one thread hop a request, the request-size
limit and the static files) and of the websockets (at most SOCKETS_PER_IP open per client IP)."""
import collections
import json

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler

from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.exceptions import SuspiciousOperation
from django.http import Http404

from .client_ip import client_ip


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
    at once when Content-Length says so, or as soon as a chunked body passes the limit. A body within the
    limit is handed on as one message."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = settings.MAX_REQUEST_BYTES
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and not (length.isdigit() and len(length) <= 18 and int(length) <= limit):
            return await self.refuse(send, limit, 413 if length.isdigit() else 400)
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > limit:
                return await self.refuse(send, limit, 413)
            if not message.get("more_body"):
                break
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()  # the application waits for the disconnect
            sent = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)

    @staticmethod
    async def refuse(send, limit: int, status: int):
        message = (f"Request body too large: at most {limit} bytes" if status == 413
                   else "Invalid request: bad Content-Length")
        content = json.dumps({"message": message}).encode()
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(content)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": content})


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
