"""The websocket's `allocate` events count against the HTTP write limit (issue 25, item 4): the same rate and
the same counters per client IP, answered with the `exception` event the client understands, the socket kept."""
import json

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from rest_framework.test import APIClient

from octant.routing import websocket_urlpatterns

from .test_socketio import event, socket_open

pytestmark = pytest.mark.django_db(transaction=True)

THROTTLED = "Request was throttled. Expected available in "


def from_ip(ip: str):
    """The websocket application, its connections coming from `ip` (the ASGI scope's client address)."""
    app = URLRouter(websocket_urlpatterns)

    async def application(scope, receive, send):
        return await app({**scope, "client": (ip, 50000)}, receive, send)

    return application


async def allocate_answer(client, ack: int) -> str:
    await client.send_to(text_data=f"42{ack}" + json.dumps(["allocate", "{}"]))
    name, data = event(await client.receive_from(timeout=5))
    assert name == "exception" and await client.receive_from() == f"43{ack}[]"
    return data["message"]


async def test_allocate_events_share_the_write_limit_of_the_client_ip(scheduled_chain, settings):
    settings.THROTTLE_RATES = {"read": None, "write": "3/minute", "heavy": None}
    client = await socket_open(from_ip("10.1.1.1"))
    assert (await database_sync_to_async(APIClient().post)(  # an HTTP write of that IP counts too
        "/rewards/estimated_budget", {"glmAmount": "1", "numberOfEpochs": 1}, format="json",
        REMOTE_ADDR="10.1.1.1")).status_code == 200
    answers = [await allocate_answer(client, ack) for ack in range(4)]
    assert not answers[0].startswith(THROTTLED) and not answers[1].startswith(THROTTLED)  # refused for the body
    assert answers[2].startswith(THROTTLED) and answers[3].startswith(THROTTLED), answers
    await client.send_to(text_data="2")  # the socket stays
    assert await client.receive_from() == "3"
    response = await database_sync_to_async(APIClient().post)(
        "/rewards/estimated_budget", {"glmAmount": "1", "numberOfEpochs": 1}, format="json", REMOTE_ADDR="10.1.1.1")
    assert response.status_code == 429  # and its HTTP writes are throttled as well

    other = await socket_open(from_ip("10.1.1.2"))  # another client has its own count
    assert not (await allocate_answer(other, 1)).startswith(THROTTLED)
    for socket in (client, other):
        await socket.disconnect()
