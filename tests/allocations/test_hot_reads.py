"""The reads a web client polls during the allocation window cost a fixed number of queries, whatever the
number of allocations (the lists stream by keyset: one more query per 20,000 rows)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from allocations import funding

from tests.fixtures.chain import DURATION, START, WINDOW, take_finalized_snapshot
from tests.fixtures.window import EPOCH, PROJECTS, USERS, sign

P1, P2, P3 = PROJECTS


def _queries(api, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert api.get(path).status_code == 200
    return len(captured)


@pytest.fixture
def allocated(api, window):
    for nonce, user in enumerate(USERS):
        body = sign(user, [(P1, 10**15), (P2, (nonce + 1) * 10**14)], 0)
        assert api.post("/allocations/allocate", body, format="json").status_code == 201
    return window


@pytest.mark.parametrize("path, most", [
    ("/rewards/projects/estimated", 12),  # computed once per state of the epoch, then 4 (test_estimate_cache)
    (f"/allocations/epoch/{EPOCH}", 6),
    (f"/allocations/donors/{EPOCH}", 6),
    (f"/epochs/info/{EPOCH}", 17),  # pending: from the aggregates, then shared while nothing changes
    (f"/epochs/info/{EPOCH - 1}", 19),  # finalizing: the live finalization from the aggregates
    (f"/epochs/info/{EPOCH + 1}", 12),  # current: an estimate
])
def test_hot_reads_query_counts(api, allocated, path, most):
    first = _queries(api, path)
    assert first <= most, f"{path}: {first} queries"
    more = sign(USERS[0], [(P1, 10**15), (P2, 10**14), (P3, 10**15)], 1)  # more allocations: not more queries
    assert api.post("/allocations/allocate", more, format="json").status_code == 201
    funding.project_funding_rebuild(epoch=EPOCH)  # as the worker does after a replacement
    assert _queries(api, path) <= first


def test_finalized_epoch_info_reads_the_snapshot(api, allocated):
    allocated.set_time(timestamp=START + EPOCH * DURATION + WINDOW + 1)
    assert take_finalized_snapshot() == EPOCH
    first = _queries(api, f"/epochs/info/{EPOCH}")
    assert first <= 12, first
