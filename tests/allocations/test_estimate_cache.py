"""Identical estimates are computed once per state of the epoch and shared; every change shows at once."""
from allocations import funding, selectors
from epochs.selectors import chain_view
from users.models import PatronEvent

from tests.fixtures.window import EPOCH, PROJECTS, USERS, sign

P1, P2, P3 = PROJECTS


def _body(rewards):
    return {"rewards": [{"address": r.address, "allocated": str(r.allocated), "matched": str(r.matched)}
                        for r in rewards.rewards]}


def _check(api):
    assert api.get("/rewards/projects/estimated").json() == _body(selectors.estimated_project_rewards(
        epoch=EPOCH, now=chain_view().now))


def test_estimate_is_shared_until_something_changes(api, window, django_assert_max_num_queries, monkeypatch):
    post = lambda body: api.post("/allocations/allocate", body, format="json")  # noqa: E731
    _check(api)
    assert post(sign(USERS[0], [(P1, 10**15), (P2, 3 * 10**14)], 0)).status_code == 201
    _check(api)
    calls = []
    compute = selectors.estimated_project_rewards
    monkeypatch.setattr(selectors, "estimated_project_rewards", lambda **kw: calls.append(kw) or compute(**kw))
    first = api.get("/rewards/projects/estimated").json()
    with django_assert_max_num_queries(4):  # the chain's view and the state's key: no recomputation
        assert api.get("/rewards/projects/estimated").json() == first
    assert calls == []  # computed before the monkeypatch, shared since
    assert post(sign(USERS[1], [(P3, 10**15)], 0)).status_code == 201  # a new allocation: a new state
    _check(api)
    assert post(sign(USERS[0], [(P3, 10**15)], 1)).status_code == 201  # a replacement: inexact aggregates
    _check(api)
    funding.project_funding_rebuild(epoch=EPOCH)  # exact again: the estimate follows
    _check(api)
    PatronEvent.objects.create(address=USERS[2].address, enabled=True, timestamp=window.epoch_view()[0])
    _check(api)  # a patron's budget joins the matching pool
    assert len(calls) == 8  # per state: the test's own computation and one shared
