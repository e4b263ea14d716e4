import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "octant.settings.base")

app = Celery("octant")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_postrun.connect
def _shared_answers_stale(**_):
    """A task may have changed what the shared answers show (octant.core.answers)."""
    from octant.core.answers import bump

    bump()
