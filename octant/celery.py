import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "octant.settings.base")

from octant.core import logs, memory, metrics  # noqa: E402 - metrics loads the settings (its directory) first

memory.return_large_blocks()

app = Celery("octant")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
metrics.connect_celery()  # task runs, failures, retries; the metrics directory cleaned as a worker starts
logs.connect_celery()  # a JSON line per task, with the id of the request that queued it


@signals.task_postrun.connect
def _shared_answers_stale(**_):
    """A task may have changed what the shared answers show (octant.web.answers)."""
    from octant.web.answers import bump  # lazily: the Celery app is loaded while Django starts (ChainConfig.ready)

    bump()
