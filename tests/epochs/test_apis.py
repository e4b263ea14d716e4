import pytest
from model_bakery import baker

from epochs.models import Epoch, FinalizedEpochSnapshot, PendingEpochSnapshot
from epochs.selectors import EpochState, chain_view, epoch_state
from octant.core.exceptions import InvalidEpoch

from tests.fixtures.chain import DURATION, START, WINDOW


def test_current_epoch_is_zero_before_the_start_and_follows_the_clock(api, scheduled_chain):
    assert api.get("/epochs/current").json() == {"currentEpoch": 0}
    scheduled_chain.set_time(timestamp=START + 2 * DURATION + 5)
    assert api.get("/epochs/current").json() == {"currentEpoch": 3}


def test_indexed_epoch(api, scheduled_chain):
    response = api.get("/epochs/indexed")
    assert response.status_code == 404 and response.json() == {"message": "Epochs not found in Subgraph"}
    scheduled_chain.set_time(timestamp=START + DURATION)
    assert api.get("/epochs/indexed").json() == {"currentEpoch": 2, "indexedEpoch": 2}
    assert list(Epoch.objects.values_list("number", "start", "duration", "decision_window")) == [
        (1, START, DURATION, WINDOW), (2, START + DURATION, DURATION, WINDOW)]


def test_rewards_rate(api, scheduled_chain):
    assert api.get("/epochs/rewards-rate/3").json() == {"rewardsRate": 0.038}
    response = api.get("/epochs/rewards-rate/0")
    assert response.status_code == 400 and response.json() == {"message": "Given epoch is not valid."}
    response = api.get("/epochs/rewards-rate/abc")
    assert response.status_code == 400
    assert response.json()["errors"] == {"epochNumber": ["Must be an integer, got 'abc'"]}


def _snapshot(epoch):
    baker.make(PendingEpochSnapshot, epoch=epoch, locked_ratio="0.1")


def test_epoch_states_follow_chain_and_snapshots(scheduled_chain):
    scheduled_chain.set_time(timestamp=START + DURATION + 1)  # epoch 2 current, window of 1 open
    assert epoch_state(epoch=3, view=chain_view()) == EpochState.FUTURE
    assert epoch_state(epoch=2, view=chain_view()) == EpochState.CURRENT
    assert epoch_state(epoch=1, view=chain_view()) == EpochState.PRE_PENDING
    _snapshot(1)
    assert epoch_state(epoch=1, view=chain_view()) == EpochState.PENDING
    scheduled_chain.set_time(timestamp=START + DURATION + WINDOW + 1)  # window closed
    assert epoch_state(epoch=1, view=chain_view()) == EpochState.FINALIZING
    baker.make(FinalizedEpochSnapshot, epoch=1)
    assert epoch_state(epoch=1, view=chain_view()) == EpochState.FINALIZED
    scheduled_chain.set_time(timestamp=START + 3 * DURATION)
    with pytest.raises(InvalidEpoch):
        epoch_state(epoch=2, view=chain_view())  # past, never snapshotted


def test_snapshot_status(api, scheduled_chain):
    scheduled_chain.set_time(timestamp=START + DURATION + 1)
    assert api.get("/snapshots/status/2").json() == {"isCurrent": True, "isPending": False, "isFinalized": False}
    assert api.get("/snapshots/status/1").json() == {"isCurrent": False, "isPending": False, "isFinalized": False}
    _snapshot(1)
    assert api.get("/snapshots/status/1").json()["isPending"] is True
    response = api.get("/snapshots/status/3")
    assert response.status_code == 400 and response.json() == {"message": "Given epoch has not yet started."}
