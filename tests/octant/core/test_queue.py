"""Coalesced Celery runs: one queued run per task and arguments until that run starts."""
from octant.core import queue


class FakeTask:
    name = "tests.fake"

    def __init__(self):
        self.queued = []

    def delay(self, *args):
        self.queued.append(args)

    def apply_async(self, args, *, countdown):
        self.queued.append((*args, f"in {countdown} s"))


def test_one_queued_run_until_it_starts():
    task = FakeTask()
    assert queue.enqueue_once(task, 4) and not queue.enqueue_once(task, 4)
    assert queue.enqueue_once(task, 5)  # other arguments: a run of their own
    assert task.queued == [(4,), (5,)]
    queue.started(task, 4)
    assert queue.enqueue_once(task, 4) and task.queued == [(4,), (5,), (4,)]


def test_a_lost_run_stops_blocking_after_the_timeout(monkeypatch):
    import time

    task = FakeTask()
    monkeypatch.setattr(queue, "QUEUED_TIMEOUT", 1)
    assert queue.enqueue_once(task, 1) and not queue.enqueue_once(task, 1)
    time.sleep(1.1)  # the run never started (a worker died with it): the mark expires
    assert queue.enqueue_once(task, 1) and len(task.queued) == 2


def test_a_countdown_run_stays_the_queued_one_meanwhile(monkeypatch):
    import time

    task = FakeTask()
    monkeypatch.setattr(queue, "QUEUED_TIMEOUT", 1)
    assert queue.enqueue_once(task, 7, countdown=1)
    time.sleep(1.1)  # past QUEUED_TIMEOUT but not past the countdown with it: still the queued run
    assert not queue.enqueue_once(task, 7, countdown=1)
    assert task.queued == [(7, "in 1 s")]


ran = []


@queue.coalesced_task()
def coalesced_fake(n: int) -> int:
    ran.append((n, queue.cache.get(queue._key(coalesced_fake, (n,)))))
    return n * 2


def test_a_coalesced_task_marks_itself_started_before_its_body():
    ran.clear()
    queue.cache.add(queue._key(coalesced_fake, (4,)), True)  # queued by enqueue_once
    assert coalesced_fake.apply(args=[4]).get() == 8
    assert ran == [(4, None)]  # the body already saw the mark gone: a change from now on queues a new run
    assert coalesced_fake.name == f"{__name__}.coalesced_fake"
    assert coalesced_fake.ignore_result and coalesced_fake.max_retries == queue.RETRY_ON_OUTAGE["max_retries"]


waits = []


def _wait(n):
    waits.append(queue.cache.get(queue._key(coalesced_waiting, (n,))))
    return 0.01 if len(waits) < 3 else 0


@queue.coalesced_task(wait=_wait)
def coalesced_waiting(n: int) -> int:
    return n


def test_a_coalesced_task_waits_still_queued():
    waits.clear()
    queue.cache.add(queue._key(coalesced_waiting, (1,)), True)
    assert coalesced_waiting.run(1) == 1  # as a worker runs it
    assert waits == [True, True, True]  # asked three times, the mark kept meanwhile
    assert queue.cache.get(queue._key(coalesced_waiting, (1,))) is None
    waits.clear()
    assert coalesced_waiting.apply(args=[1]).get() == 1 and waits == []  # run eagerly: no wait



@queue.coalesced_task(lost_after=lambda: 1)
def coalesced_soon_lost(n: int) -> int:
    return n


def test_a_task_s_own_lost_after_bounds_its_mark(monkeypatch):
    import time

    monkeypatch.setattr(coalesced_soon_lost, "delay", lambda *args: None)  # queued, then lost with its worker
    assert queue.enqueue_once(coalesced_soon_lost, 2) and not queue.enqueue_once(coalesced_soon_lost, 2)
    time.sleep(1.1)
    assert queue.enqueue_once(coalesced_soon_lost, 2)  # lost after its second, not QUEUED_TIMEOUT
