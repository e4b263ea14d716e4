"""The Redis cache with one client per process. Django builds a cache object per thread and per async
context, and each built its own Redis connection pool: under ASGI every request opened a new connection
(about 1 ms). This backend shares the client (its pool is thread-safe and reset after a fork)."""
import functools
import hashlib
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


# Every setting that changes a figure the API shows, so that what is kept of a figure (the cache's entries, the
# answer files, the shared answers) is kept apart per value: servers of different settings can share one cache.
# EPOCH_RULES and EXACT_REWARDS_FROM_EPOCH choose the rule set (epochs.rules.epoch_rules, rewards.variants);
# CHAIN_ID chooses its default and the UQ's mainnet threshold and lists (antisybil.selectors).
# tests/octant/core/test_figures_version.py holds every setting those modules read to this list.
FIGURE_SETTINGS = ("CHAIN_ID", "EPOCH_RULES", "EXACT_REWARDS_FROM_EPOCH")


def figures_version() -> str:
    """A short digest of the FIGURE_SETTINGS' values: part of the key of everything kept of a figure."""
    from django.conf import settings

    return _figures_digest(repr([(name, getattr(settings, name, None)) for name in FIGURE_SETTINGS]))


@functools.lru_cache(maxsize=16)
def _figures_digest(values: str) -> str:
    return hashlib.sha256(values.encode()).hexdigest()[:12]
