"""Coalesced Celery tasks: at most one queued run of a task per arguments, however many changes ask for it.

A run calls `started(task, *args)` first thing, before it reads the state it acts on. A change committed
after that read then finds the mark gone and queues the next run, so a burst costs a few runs and no
change is left unhandled. The mark lives in the cache, shared by every process: Redis in production, a
file cache under var/ without it."""
from django.core.cache import cache
from django.db import DatabaseError
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

# Celery options of a task that retries, with exponential backoff, what an outage of the database, the broker
# or Redis (the channel layer, the cache) makes fail; the run resumes once the service is back.
RETRY_ON_OUTAGE = {"autoretry_for": (DatabaseError, BrokerError, RedisError, ConnectionError, TimeoutError),
                   "retry_backoff": 1, "retry_backoff_max": 60, "retry_jitter": True, "max_retries": 10}

QUEUED_TIMEOUT = 60  # seconds: should a queued run be lost (a worker killed), runs resume after this


def _key(task, args) -> str:
    return "octant:queued:" + ":".join([task.name, *map(str, args)])


def enqueue_once(task, *args) -> bool:
    """Queue task(*args) unless that run is queued and not started yet. True if it was queued now."""
    key = _key(task, args)
    if cache.add(key, True, timeout=QUEUED_TIMEOUT):
        try:
            task.delay(*args)
        except Exception:  # the broker is down: the run is not queued, so the next change may queue it
            cache.delete(key)
            raise
        return True
    return False


def started(task, *args) -> None:
    cache.delete(_key(task, args))


def run_alone(name: str, *, timeout: float):
    """Context manager yielding whether this process now holds the cache lock `name` (for at most `timeout`
    seconds); it is released on exit if still ours. Callers that do not get it skip their work."""
    import contextlib
    import secrets

    @contextlib.contextmanager
    def lock():
        key, token = "octant:lock:" + name, secrets.token_hex(8)
        held = cache.add(key, token, timeout=timeout)
        try:
            yield held
        finally:
            if held and cache.get(key) == token:
                cache.delete(key)

    return lock()
