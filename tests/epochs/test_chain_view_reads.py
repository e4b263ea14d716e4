"""One view of the chain per unit of work (issue 23 §4): a request reads the epoch state once, where it enters
(`epochs.selectors.chain_view`), and hands that view down; nothing below reads it again."""
import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from allocations import realtime
from allocations.consumers import connect_frames
from epochs.models import Epoch
from octant.chain.backends import get_chain

from tests.fixtures.chain import DURATION, START
from tests.fixtures.window import EPOCH, PROJECTS, USERS, sign

ALICE = USERS[0]


async def _receive(layer, channel: str) -> dict:
    return await asyncio.wait_for(layer.receive(channel), 5)


@pytest.fixture
def epoch_state_reads(window, monkeypatch) -> list[str]:
    """The chain backend's reads of the epoch state from now on (the window open), by name."""
    reads, chain = [], get_chain()
    for name in ("epoch_view", "current_epoch", "pending_epoch", "finalized_epoch", "is_decision_window_open"):
        read = getattr(chain, name)
        monkeypatch.setattr(chain, name, lambda *args, name=name, read=read: reads.append(name) or read(*args))
    return reads


@pytest.mark.parametrize("path", [
    f"/epochs/info/{EPOCH}", f"/epochs/info/{EPOCH + 1}", "/epochs/current", "/epochs/indexed", "/info/sync-status",
    f"/snapshots/status/{EPOCH}", "/snapshots/finalized/simulate", "/rewards/projects/estimated",
    f"/rewards/leverage/{EPOCH}", f"/rewards/budget/{ALICE.address}/upcoming", f"/withdrawals/{ALICE.address}",
    f"/deposits/users/{ALICE.address}/estimated_effective_deposit"])
def test_a_read_reads_the_chain_once(api, epoch_state_reads, path):
    assert api.get(path).status_code == 200
    assert epoch_state_reads == ["epoch_view"]


def test_a_leverage_simulation_reads_the_chain_once(api, epoch_state_reads):
    body = {"allocations": [{"proposalAddress": PROJECTS[0], "amount": str(10**15)}]}
    assert api.post(f"/allocations/leverage/{ALICE.address}", body, format="json").status_code == 200
    assert epoch_state_reads == ["epoch_view"]


def test_an_allocation_reads_the_chain_once_its_broadcast_included(api, epoch_state_reads,
                                                                   django_capture_on_commit_callbacks):
    layer = get_channel_layer()
    listener = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(realtime.GROUP, listener)  # a socket listens: the broadcast is built and sent
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post("/allocations/allocate", sign(ALICE, [(PROJECTS[0], 10**15)], 0), format="json")
        assert response.status_code == 201
        message = async_to_sync(_receive)(layer, listener)
        assert message["type"] == realtime.MESSAGE_TYPE
        assert epoch_state_reads == ["epoch_view"]
    finally:
        async_to_sync(layer.group_discard)(realtime.GROUP, listener)


@pytest.mark.parametrize("path, shown", [
    ("/admin/", "allocation window open"),  # the dashboard
    ("/admin/epochs/epoch/", '<td class="field-state">pending</td>'),  # every epoch's state (epoch 4's here)
    ("/admin/epochs/epoch/{epoch_1}/change/", "finalizing"),
    ("/admin/projects/project/", f"{EPOCH + 1} (current)")])  # the epoch filter
def test_an_admin_page_reads_the_chain_once(client, django_user_model, epoch_state_reads, path, shown):
    client.force_login(django_user_model.objects.create_superuser("staff", "staff@example.com", "pw"))
    page = client.get(path.format(epoch_1=Epoch.objects.get(number=1).pk))
    assert page.status_code == 200 and shown in page.content.decode()
    assert epoch_state_reads == ["epoch_view"]  # (the epoch list read it once more per epoch listed)


def test_a_socket_connect_reads_the_chain_once(epoch_state_reads):
    get_chain().set_time(timestamp=START + (EPOCH + 1) * DURATION - 1)  # after the window: nothing to send
    assert connect_frames() == []
    assert epoch_state_reads == ["epoch_view"]
