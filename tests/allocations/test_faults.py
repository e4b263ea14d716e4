"""Faults after the commit (issue 10): a Redis outage must not turn a saved allocation into an error, what
could not be queued is picked up by the beat tick, and Celery tasks retry a dropped connection."""
import pytest
import redis
from channels.layers import InMemoryChannelLayer
from django.test import override_settings

from allocations import realtime, tasks
from allocations.models import Allocation, ProjectFunding
from lifecycle.tasks import epochs_tick_task
from users.models import User

from tests.fixtures.window import EPOCH, PROJECTS, USERS, sign

ALICE, BOB, CAROL = USERS
P1, P2, P3 = PROJECTS


def closed_port() -> int:
    import socket

    with socket.socket() as probe:  # bound, never listening: connections are refused
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db(transaction=True)  # the allocation's own transaction commits and runs its hooks
def test_a_redis_outage_after_the_commit_is_still_a_success_and_the_tick_catches_up(api, window):
    assert api.post("/allocations/allocate", sign(ALICE, [(P1, 10**18)], 0), format="json").status_code == 201
    unreachable = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                               "LOCATION": f"redis://127.0.0.1:{closed_port()}/10"}}
    with override_settings(CACHES=unreachable):
        # a replacement leaves the aggregates inexact: their rebuild is queued through the (dead) cache
        response = api.post("/allocations/allocate", sign(ALICE, [(P2, 2 * 10**18)], 1), format="json")
        assert response.status_code == 201
    assert User.objects.get(address=ALICE.address).allocation_nonce == 1
    assert list(Allocation.objects.filter(deleted_at__isnull=True).values_list("project_address", "amount")) == [
        (P2, 2 * 10**18)]
    assert ProjectFunding.objects.filter(epoch=EPOCH, exact=False).exists()  # nothing could be queued

    epochs_tick_task()  # Redis is back: the tick notices the inexact aggregates
    assert not ProjectFunding.objects.filter(epoch=EPOCH, exact=False).exists()
    assert dict(ProjectFunding.objects.filter(epoch=EPOCH).values_list("project_address", "allocated")) == {
        P1: 0, P2: 2 * 10**18}


class DroppingLayer(InMemoryChannelLayer):
    """A shared-looking channel layer whose first send hits a dropped Redis connection."""

    drops = 0
    sent: list = []

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.groups = {realtime.GROUP: {"specific.client": 0}}  # one client connected

    async def group_send(self, group, message):
        if DroppingLayer.drops:
            DroppingLayer.drops -= 1
            raise redis.exceptions.ConnectionError("Connection closed by server.")
        DroppingLayer.sent.append(message)

    async def close_pools(self):
        pass


def test_the_broadcast_task_retries_a_dropped_connection(api, window, monkeypatch):
    # eager runs retry at once; propagating would raise the first Retry instead of running the retry
    monkeypatch.setitem(tasks.broadcast_changes_task.app.conf, "CELERY_TASK_EAGER_PROPAGATES", False)
    layer = {"default": {"BACKEND": f"{__name__}.DroppingLayer"}}
    with override_settings(CHANNEL_LAYERS=layer):
        assert api.post("/allocations/allocate", sign(ALICE, [(P1, 10**18)], 0), format="json").status_code == 201
        DroppingLayer.drops, DroppingLayer.sent = 2, []
        assert tasks.broadcast_changes_task.apply(args=[EPOCH]).get() == 1  # third attempt goes through
    assert DroppingLayer.drops == 0 and len(DroppingLayer.sent) == 1
    funding = ProjectFunding.objects.get(epoch=EPOCH, project_address=P1)
    assert funding.broadcast_version == funding.version


def test_tasks_retry_outages_with_backoff():
    from django.db import OperationalError
    from kombu.exceptions import OperationalError as BrokerError

    for task in (tasks.broadcast_changes_task, tasks.project_funding_rebuild_task):
        assert {OperationalError, BrokerError, redis.exceptions.ConnectionError} <= {
            error for error in (OperationalError, BrokerError, redis.exceptions.ConnectionError)
            if issubclass(error, task.autoretry_for)}
        assert task.retry_backoff and task.max_retries >= 5
