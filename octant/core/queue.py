"""Coalesced Celery tasks: at most one queued run of a task per arguments, however many changes ask for it.

A coalesced task is declared with `@coalesced_task(...)` and queued with `enqueue_once(task, *args)`. Its
run clears its queued mark (`started`) before the body reads the state it acts on. A change committed
after that read then finds the mark gone and queues the next run, so a burst costs a few runs and no
change is left unhandled. The mark lives in the cache, shared by every process: Redis in production, a
file cache under var/ without it. It lapses after the task's `lost_after` seconds (while a run waits, its
wait plus that): a run lost with a killed worker holds back the next one that long at most."""
import functools
import math
import time

from celery import shared_task
from django.core.cache import cache
from django.db import DatabaseError
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

# Celery options of a task that retries, with exponential backoff, what an outage of the database, the broker
# or Redis (the channel layer, the cache) makes fail; the run resumes once the service is back.
RETRY_ON_OUTAGE = {"autoretry_for": (DatabaseError, BrokerError, RedisError, ConnectionError, TimeoutError),
                   "retry_backoff": 1, "retry_backoff_max": 60, "retry_jitter": True, "max_retries": 10}

QUEUED_TIMEOUT = 60  # seconds: should a queued run be lost (a worker killed), runs resume after this
_lost_after = {}  # task name -> seconds() for a coalesced task declared with `lost_after`


def _key(task, args) -> str:
    return "octant:queued:" + ":".join([task.name, *map(str, args)])


def _mark_seconds(task) -> float:
    seconds = _lost_after.get(task.name)
    return QUEUED_TIMEOUT if seconds is None else seconds()


def enqueue_once(task, *args, countdown: float = 0) -> bool:
    """Queue task(*args) unless that run is queued and not started yet. True if it was queued now. With a
    `countdown` the run starts that many seconds later at the earliest (and coalesces what comes meanwhile)."""
    key = _key(task, args)
    if cache.add(key, True, timeout=math.ceil(_mark_seconds(task) + countdown)):
        try:
            if countdown > 0:
                task.apply_async(args, countdown=countdown)
            else:
                task.delay(*args)
        except Exception:  # the broker is down: the run is not queued, so the next change may queue it
            cache.delete(key)
            raise
        return True
    return False


def started(task, *args) -> None:
    """Clear the queued mark of task(*args): from now on a change queues the next run."""
    cache.delete(_key(task, args))


def coalesced_task(*, wait=None, lost_after=None, **options):
    """Declare a coalesced Celery task (a `shared_task`, by default without result and retried on an
    outage, RETRY_ON_OUTAGE): each run marks itself started (`started`) before its body runs, so the body
    needs no first-line convention. `wait(*args)`, if given, returns how many seconds the run should still
    wait before it starts (0 or less: none); the run sleeps meanwhile still marked queued, so the changes
    committed during the wait coalesce into it (not when run eagerly, in tests and in-process), its mark
    renewed for the wait. `lost_after()`, if given, is how many seconds the queued mark lives (by default
    QUEUED_TIMEOUT): after that a run queued but not started counts as lost. `options`
    are more `shared_task` options, or overrides (e.g. `name`, by default the body's module and name)."""

    def decorate(body):
        @functools.wraps(body)
        def run(self, *args):
            if wait is not None and not self.request.is_eager:
                seconds = wait(*args)
                while seconds > 0:
                    cache.set(_key(self, args), True, timeout=math.ceil(seconds + _mark_seconds(self)))
                    time.sleep(seconds)
                    seconds = wait(*args)
            started(self, *args)
            return body(*args)

        del run.__wrapped__  # the task's signature is the wrapper's (the body has no `self`)
        name = options.pop("name", f"{body.__module__}.{body.__name__}")
        if lost_after is not None:
            _lost_after[name] = lost_after
        return shared_task(bind=True, **{"name": name, "ignore_result": True, **RETRY_ON_OUTAGE, **options})(run)

    return decorate


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
