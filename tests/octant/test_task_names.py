"""A Celery task is `<what>_task` in the code, so that it never shares a name with the service it calls, while
its Celery name stays the one beat schedules (the settings, django-celery-beat's table) and queued messages
know."""
import importlib

from celery import Task
from django.conf import settings

from octant.celery import app

NAMES = {  # module, attribute: the Celery name
    ("lifecycle.tasks", "epochs_tick_task"): "epochs.tasks.epochs_tick",
    ("lifecycle.verification", "epoch_verify_task"): "lifecycle.verification.epoch_verify",
    ("allocations.tasks", "project_funding_rebuild_task"): "allocations.tasks.project_funding_rebuild",
    ("allocations.tasks", "broadcast_changes_task"): "allocations.tasks.broadcast_changes",
    ("glm.tasks", "glm_transfer_task"): "glm.tasks.glm_transfer",
    ("multisig.tasks", "multisig_approve_task"): "multisig.tasks.multisig_approve",
}


def test_the_tasks_keep_their_celery_names():
    for (module, attribute), name in NAMES.items():
        assert getattr(importlib.import_module(module), attribute).name == name


def test_every_task_of_ours_is_named_task():
    app.loader.import_default_modules()  # every app's tasks.py, as a worker starts
    modules = {task.__module__ for task in app.tasks.values()
               if not task.name.startswith("celery.") and not task.__module__.startswith("tests.")}
    found = {(module, attribute) for module in modules
             for attribute, value in vars(importlib.import_module(module)).items() if isinstance(value, Task)}
    assert [attribute for _, attribute in found if not attribute.endswith("_task")] == []
    assert found == set(NAMES)  # a new task: add it above, with the Celery name it keeps


def test_what_beat_schedules_and_routes_is_a_task():
    for module, _ in NAMES:
        importlib.import_module(module)
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "epochs.tasks.epochs_tick" in scheduled
    assert scheduled | set(settings.CELERY_TASK_ROUTES) <= set(app.tasks)
