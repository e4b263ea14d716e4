"""Rate limits per client IP (DRF throttles; the address is octant.web.client_ip's), configured by
settings.THROTTLE_RATES (None = off): `read` counts every request, `write` the unsafe methods, `heavy` the
costly reads that views mark with `heavy = True` (simulations, every budget or allocation of an epoch). The
counters live in the cache; if the cache is down a request is let through rather than refused. A websocket
`allocate` event counts as a write (`throttle_socket_write`)."""
import logging

from django.conf import settings
from rest_framework.exceptions import Throttled
from rest_framework.throttling import SimpleRateThrottle

from octant.core import metrics

from .client_ip import client_ip

logger = logging.getLogger(__name__)


class _IpThrottle(SimpleRateThrottle):
    def get_rate(self):
        return settings.THROTTLE_RATES.get(self.scope)

    def applies(self, request, view) -> bool:
        return True

    def get_ident(self, request):
        return client_ip(request)

    def get_cache_key(self, request, view):
        if not self.applies(request, view):
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception:  # the cache is down: better unthrottled than an outage of the API
            logger.warning("throttle %s: the cache is unavailable; request let through", self.scope, exc_info=True)
            return True

    def throttle_failure(self):
        metrics.THROTTLED.labels(self.scope).inc()
        return False


class ReadThrottle(_IpThrottle):
    scope = "read"


class WriteThrottle(_IpThrottle):
    scope = "write"

    def applies(self, request, view) -> bool:
        return request.method not in ("GET", "HEAD", "OPTIONS")


class HeavyThrottle(_IpThrottle):
    scope = "heavy"

    def applies(self, request, view) -> bool:
        return getattr(view, "heavy", False)


class _SocketWriteThrottle(WriteThrottle):
    def __init__(self, ip: str):
        super().__init__()
        self.ip = ip

    def applies(self, request, view) -> bool:
        return True

    def get_ident(self, request):
        return self.ip


def throttle_socket_write(*, ip: str) -> None:
    """Count a websocket write (an `allocate` event) of the client at `ip` against the write limit, in the
    same counters as its HTTP writes (the cache key of WriteThrottle for that IP); raises Throttled, with
    the seconds to wait, when over it."""
    throttle = _SocketWriteThrottle(ip)
    if not throttle.allow_request(None, None):
        raise Throttled(throttle.wait())
