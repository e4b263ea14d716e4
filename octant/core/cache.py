"""The Redis cache with one client per process. Django builds a cache object per thread and per async
context, and each built its own Redis connection pool: under ASGI every request opened a new connection
(about 1 ms). This backend shares the client (its pool is thread-safe and reset after a fork)."""
import threading

from django.core.cache.backends.redis import RedisCache
from django.utils.functional import cached_property

_clients: dict = {}
_lock = threading.Lock()


class SharedRedisCache(RedisCache):
    @cached_property
    def _cache(self):
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _lock:
            if key not in _clients:
                _clients[key] = self._class(self._servers, **self._options)
            return _clients[key]
