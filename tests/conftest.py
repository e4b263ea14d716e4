import pytest
from rest_framework.test import APIClient

from octant.chain.backends import get_chain

START = 2_000_000_000  # after the wall clock, where a new local chain clock starts
DURATION = 1000
WINDOW = 400


@pytest.fixture(autouse=True)
def _fresh_cache():
    """No cache entry outlives its test (with REDIS_URL the cache is the shared Redis)."""
    from django.core.cache import cache

    yield
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def chain(db):
    """The local chain, its clock frozen at START - 100 (before epoch 1)."""
    backend = get_chain()
    backend.set_time(timestamp=START - 100)
    return backend


@pytest.fixture
def scheduled_chain(chain):
    """A chain whose epoch 1 starts at START, DURATION-second epochs with a WINDOW-second allocation window."""
    chain.configure(start=START, duration=DURATION, decision_window=WINDOW)
    return chain


def move_to(chain, timestamp: int) -> None:
    chain.set_time(timestamp=timestamp)


def sync() -> None:
    """Store what the local chain's ledger holds past the apps' cursors (deposit events, streams, projects), as
    the `chain` commands do after each write and the tick does: a test that writes through the backend
    (`chain.lock(...)`, `.add_project(...)`, `.stream_create(...)`) calls this before reading our tables."""
    from deposits.services import deposit_events_sync, sablier_streams_sync
    from projects.services import projects_sync

    deposit_events_sync()
    sablier_streams_sync()
    projects_sync()
