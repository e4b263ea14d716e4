"""The beat tick after an outage (issue 10): at most one run at a time, and queued ticks expire."""
import pytest
from django.conf import settings

from epochs.models import PendingEpochSnapshot
from lifecycle.tasks import epochs_tick_task
from octant.core.queue import run_alone

from tests.fixtures.chain import DURATION, START


def test_a_tick_while_another_runs_does_nothing(scheduled_chain):
    scheduled_chain.set_time(timestamp=START + DURATION + 1)  # epoch 1's window is open: a snapshot is due
    with run_alone("epochs_tick", timeout=60) as first:  # a run in progress (another worker)
        assert first
        assert epochs_tick_task() == {"skipped": True}
        assert not PendingEpochSnapshot.objects.exists()
    assert epochs_tick_task()["pendingSnapshot"] == 1  # the lock is released when that run ends


def test_the_lock_is_not_released_by_a_run_that_lost_it(db):
    with run_alone("epochs_tick", timeout=60) as first:
        with run_alone("epochs_tick", timeout=60) as second:
            assert first and not second
        with run_alone("epochs_tick", timeout=60) as third:  # the loser's exit did not free it
            assert not third


def test_queued_ticks_expire_after_one_period():
    options = settings.CELERY_BEAT_SCHEDULE["epochs-tick"]["options"]
    assert options["expires"] == options["expire_seconds"] == settings.EPOCH_TICK_SECONDS


@pytest.mark.django_db(transaction=True)  # the scheduler closes old connections itself
def test_the_database_scheduler_gives_the_tick_its_expiry():
    from celery import current_app
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    scheduler = DatabaseScheduler(app=current_app, lazy=True)
    scheduler.setup_schedule()
    task = PeriodicTask.objects.get(name="epochs-tick")
    assert task.expire_seconds == int(settings.EPOCH_TICK_SECONDS)
    assert scheduler.schedule["epochs-tick"].options["expires"] == int(settings.EPOCH_TICK_SECONDS)
