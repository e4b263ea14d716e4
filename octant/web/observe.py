"""Every HTTP request observed (README "Metrics and logs"): a request id, one JSON log line and the latency
histogram by route template (octant.core.metrics, octant.core.logs); and `/metrics`, the Prometheus scrape.

`Observed` wraps the whole HTTP application (octant.asgi), so that the answers served before Django (the
shared answers, refused bodies, static files) count too. It takes the request id from an incoming
X-Request-ID if sane, else makes one, and returns it in the answer's X-Request-ID header. `RouteMiddleware`
adds what Django resolved: the route's template (the URL pattern, never the path) and the user address and
epoch of its arguments."""
import functools
import hmac
import logging
import time

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.http import require_GET

from octant.core import logs, metrics

logger = logging.getLogger("octant.requests")

USER_KWARGS = ("user_address", "safe_address")
EPOCH_KWARGS = ("epoch_number", "epoch")
UNMATCHED = "<unmatched>"


def route_of(match) -> str:
    """The URL pattern matched: "/epochs/info/<str:epoch_number>" (a regular expression as it is)."""
    route = match.route or ""
    return route if route.startswith("^") else "/" + route


@functools.lru_cache(maxsize=1024)  # the answers served before Django are a few paths, polled hard
def _resolved_route(path: str) -> str:
    try:
        return route_of(resolve(path))
    except Resolver404:
        return UNMATCHED


class Observed:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        offered = next((value for name, value in scope.get("headers") or () if name == b"x-request-id"), b"")
        rid = logs.request_id(offered.decode("latin-1"))
        started, status = time.perf_counter(), [500]

        async def observed(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), (b"x-request-id", rid.encode())]}
            await send(message)

        with logs.context(request_id=rid) as fields:
            try:
                await self.app(scope, receive, observed)
            finally:
                seconds = time.perf_counter() - started
                route = fields.pop("route", None) or _resolved_route(scope["path"])
                metrics.HTTP_REQUESTS.labels(scope["method"], route, str(status[0])).observe(seconds)
                logger.info("%s %s %s", scope["method"], scope["path"], status[0], extra={
                    "method": scope["method"], "path": scope["path"], "route": route, "status": status[0],
                    "duration_ms": round(seconds * 1000, 1)})


class RouteMiddleware:
    """Django middleware: the resolved route and its user address and epoch, into the request's log fields."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        kwargs = view_kwargs or {}
        logs.bind(route=route_of(request.resolver_match),
                  epoch=next((kwargs[k] for k in EPOCH_KWARGS if k in kwargs), None),
                  user=next((kwargs[k] for k in USER_KWARGS if k in kwargs), None))


@require_GET
def metrics_view(request):
    """The Prometheus scrape of every process: 404 unless METRICS_TOKEN is set, then only with
    `Authorization: Bearer <METRICS_TOKEN>`."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("not found")
    offered = request.headers.get("Authorization", "")
    if not hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return JsonResponse({"message": "A valid bearer token is required"}, status=401,
                            headers={"WWW-Authenticate": "Bearer"})
    from celery import current_app

    queues = metrics.QueueCollector(current_app, ["celery", settings.BROADCAST_QUEUE])
    return HttpResponse(metrics.exposition(queues), content_type="text/plain; version=0.0.4; charset=utf-8")
