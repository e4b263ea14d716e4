"""The one mapping of the domain errors to HTTP (octant.web.errors): each error's status as the reference
answers it, a subclass not listed taking its base's, and the `detail` beside the message where the reference
raises a FastAPI HTTPException."""
import pytest

from octant.core import exceptions as e
from octant.web.errors import exception_handler


@pytest.mark.parametrize("error, status", [
    (e.InvalidEpoch(), 400),
    (e.VaultRootAlreadySet(3), 400),  # a ChainError, not listed: OctantError's 400
    (e.AllocationWindowClosed(), 403),
    (e.NotAllowedInPatronMode("0x1"), 403),
    (e.GlmClaimDisabled(), 403),
    (e.UserNotFound("0x1"), 404),
    (e.GPStampsNotFound(), 404),
    (e.MissingSnapshot(), 409),
    (e.EpochFrozen(2), 409),  # a ChainError listed with a status of its own
    (e.ChainUnavailable("down"), 503),
    (e.ExternalApiException(), 503),
    (e.DelegationNotConfigured(), 503),
])
def test_each_error_answers_its_status_and_message(error, status):
    response = exception_handler(error, {})
    assert (response.status_code, response.data) == (status, {"message": error.text})


def test_the_reference_s_http_exceptions_carry_the_text_as_detail_too():
    response = exception_handler(e.PendingSnapshotMissing(), {})
    assert (response.status_code, response.data) == (400, {"message": "Pending snapshot is missing! We need it here",
                                                           "detail": "Pending snapshot is missing! We need it here"})
