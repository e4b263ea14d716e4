"""Coalesced Celery tasks: at most one queued run of a task per arguments, however many changes ask for it.

A run calls `started(task, *args)` first thing, before it reads the state it acts on. A change committed
after that read then finds the mark gone and queues the next run, so a burst costs a few runs and no
change is left unhandled. The mark lives in the cache, shared by every process: Redis in production, a
file cache under var/ without it."""
from django.core.cache import cache

QUEUED_TIMEOUT = 60  # seconds: should a queued run be lost (a worker killed), runs resume after this


def _key(task, args) -> str:
    return "octant:queued:" + ":".join([task.name, *map(str, args)])


def enqueue_once(task, *args) -> bool:
    """Queue task(*args) unless that run is queued and not started yet. True if it was queued now."""
    if cache.add(_key(task, args), True, timeout=QUEUED_TIMEOUT):
        task.delay(*args)
        return True
    return False


def started(task, *args) -> None:
    cache.delete(_key(task, args))
