"""Schemathesis over /api/schema/ (issues 10 and 25): positive and negative data for every operation, sent in
process to the Django application with an allocation window open, and every check schemathesis has: no 5xx,
statuses, content types, headers and bodies as documented, every request the schema calls invalid refused,
and every request it calls valid accepted. Budget: about two minutes (SCHEMATHESIS_MAX_EXAMPLES examples per
operation).

A request the schema calls valid can still be refused for what it asks of the state of things (an epoch
that has not come, a nonce already used, a signature that does not verify): schemathesis cannot know them.
Those operations are listed in REFUSED_BY_STATE, with the fields whose check depends on that state; on them a
400 is a refusal the schema cannot state, unless it is a validation error on another field (the schema should
have said so): `valid_data_accepted`, in place of schemathesis's positive_data_acceptance."""
import json
import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))

NOT_YET = "an epoch the chain has not reached, or one without that data"
SIGNED = "a signature that does not verify"
REFUSED_BY_STATE = {  # operation: (why a valid request may be refused, the fields that state checks)
    "POST /allocations/allocate": ("a nonce already used, " + SIGNED, set()),
    "POST /api/v1/messages/{message_hash}/signatures/": ("an unknown message, " + SIGNED, {"signature"}),
    "GET /delegation/check/{user_addresses}": ("addresses that delegate nothing", set()),
    "POST /delegation/delegate": (SIGNED + ", addresses that delegate nothing", set()),
    "PUT /delegation/recalculate": (SIGNED + ", addresses that delegate nothing", set()),
    "GET /deposits/{epoch_number}/locked_ratio": (NOT_YET, set()),
    "GET /deposits/{epoch_number}/total_effective": (NOT_YET, set()),
    "GET /deposits/users/{user_address}/{epoch_number}": (NOT_YET, set()),
    "GET /epochs/info/{epoch_number}": (NOT_YET, set()),
    "GET /epochs/rewards-rate/{epoch_number}": (NOT_YET, set()),
    "POST /glms/claim": (SIGNED, {"signature"}),
    "GET /history/{user_address}": ("a cursor the server did not give", {"cursor"}),
    "POST /multisig-signatures/pending/{user_address}/type/{op_type}": ("a message not of that kind", set()),
    "GET /rewards/leverage/{epoch_number}": (NOT_YET, set()),
    "GET /rewards/merkle_tree/{epoch_number}": (NOT_YET, set()),
    "GET /rewards/unused/{epoch_number}": (NOT_YET, set()),
    "GET /snapshots/status/{epoch}": (NOT_YET, set()),
    "GET /snapshots/finalized/{epoch}/verification": (NOT_YET, set()),
    "PATCH /user/{user_address}/patron-mode": (SIGNED, set()),
    "POST /user/{user_address}/tos": (SIGNED, set()),
    "GET /user/patrons/{epoch_number}": (NOT_YET, set()),
}


@schemathesis.check
def valid_data_accepted(ctx, response, case):
    """On the operations of REFUSED_BY_STATE, what positive_data_acceptance checks elsewhere: a request the
    schema calls valid is not refused as invalid (a 400 with `errors` on a field the state does not decide)."""
    refused_by_state = REFUSED_BY_STATE.get(case.operation.label)
    if refused_by_state is None or case.meta is None or not case.meta.generation.mode.is_positive \
            or response.status_code != 400:
        return None
    _, stateful_fields = refused_by_state
    invalid = set(json.loads(response.content).get("errors", {})) - stateful_fields
    if invalid:
        raise AssertionError(f"Schema-valid request refused as invalid: {sorted(invalid)}: {response.text}")
    return None


@pytest.fixture
def api_schema(window):  # noqa: F811 - an open allocation window: most operations have something to answer
    # as Django's test client does: the test's connection (and its transaction) outlives each request
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler())
        schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
        yield schema
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api(case):
    # every check schemathesis has (valid_data_accepted too: it checks the operations of REFUSED_BY_STATE only)
    excluded = [positive_data_acceptance] if case.operation.label in REFUSED_BY_STATE else []
    case.call_and_validate(excluded_checks=excluded)


def test_every_operation_refused_by_state_exists(api_schema):
    labels = {operation.ok().label for operation in api_schema.get_all_operations()}
    assert set(REFUSED_BY_STATE) <= labels
