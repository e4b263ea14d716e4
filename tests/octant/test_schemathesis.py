"""Schemathesis over /api/schema/ (issue 10): positive and negative data for every operation, sent in process
to the Django application with an allocation window open; no 5xx and no status code the schema does not
document. Budget: about two minutes (SCHEMATHESIS_MAX_EXAMPLES examples per operation)."""
import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import status_code_conformance


MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "80"))


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
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance])
