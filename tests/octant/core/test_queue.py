"""Coalesced Celery runs: one queued run per task and arguments until that run starts."""
from octant.core import queue


class FakeTask:
    name = "tests.fake"

    def __init__(self):
        self.queued = []

    def delay(self, *args):
        self.queued.append(args)


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
