"""Bad input anywhere gets a clear 4xx, never a 500."""
import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.fixtures.chain import DURATION, START

VALUES = ["abc", "-1", "99999999999999999999999", "0x123", "0x00000000000000000000000000000000000000aA", "1", "0"]


def _patterns(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            if not route.startswith(("admin", "api/")):
                yield route


def _fill(route: str, value: str) -> str:
    import re

    return "/" + re.sub(r"<(?:\w+:)?\w+>", value, route)


PHASES = {"before start": (-50, False), "current": (10, False), "pre-pending": (DURATION + 1, False),
          "pending": (DURATION + 1, True), "finalizing": (2 * DURATION - 1, True)}


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("value", VALUES)
def test_get_endpoints_never_answer_500(api, scheduled_chain, value, phase):
    from lifecycle.snapshots import pending_snapshot_take

    offset, snapshot = PHASES[phase]
    if snapshot:
        scheduled_chain.set_time(timestamp=START + DURATION + 1)
        pending_snapshot_take()
    scheduled_chain.set_time(timestamp=START + offset)
    for route in _patterns():
        response = api.get(_fill(route, value))
        assert response.status_code < 500 or route == "info/healthcheck", (route, value, response.content[:200])


@pytest.mark.parametrize("body", [None, [], "x", {"a": 1}, {"allocations": "x"}, {"days": "1e9", "glmAmount": 1.5}])
def test_post_endpoints_never_answer_500(api, scheduled_chain, body):
    scheduled_chain.set_time(timestamp=START + DURATION + 1)
    for route in _patterns():
        response = api.post(_fill(route, "0x00000000000000000000000000000000000000aA"), body, format="json")
        assert response.status_code < 500, (route, body, response.content[:200])
