"""Errors on the wire: the one mapping of the domain errors (octant.core.exceptions) to HTTP, and DRF's
exception handler (settings.REST_FRAMEWORK), which answers every error as `{"message": ...}`; the websocket
consumer words its errors through the same handler."""
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from octant.core import exceptions

# The reference's HTTP status of each domain error: 400 unless listed (an error not listed has its base's).
STATUSES = {
    403: (exceptions.AllocationWindowClosed, exceptions.NotAllowedInPatronMode, exceptions.InvalidMultisigAddress,
          exceptions.NotEligibleToClaimGLM, exceptions.GlmClaimDisabled),
    404: (exceptions.EpochsNotFound, exceptions.BudgetNotFound, exceptions.UserNotFound, exceptions.GPStampsNotFound,
          exceptions.IpfsPathNotFound, exceptions.SafeNotFound, exceptions.SafeMessageNotFound),
    # MissingSnapshot: the reference answers 500; a missing snapshot is a state the client can wait out
    409: (exceptions.MissingSnapshot, exceptions.SnapshotOutOfOrder, exceptions.EpochFrozen,
          exceptions.VerificationMissing),
    503: (exceptions.ChainUnavailable, exceptions.ExternalApiException, exceptions.DelegationNotConfigured),
}
_STATUS = {error: code for code, errors in STATUSES.items() for error in errors}
# also send the text as `detail`, where the reference raises a FastAPI HTTPException
WITH_DETAIL = (exceptions.NotInAllocationWindow, exceptions.PendingSnapshotMissing)


def http_status(error: exceptions.OctantError) -> int:
    return next((_STATUS[cls] for cls in type(error).__mro__ if cls in _STATUS), status.HTTP_400_BAD_REQUEST)


def _flatten(detail) -> dict:
    if isinstance(detail, dict):
        return {key: _messages(value) for key, value in detail.items()}
    return {"nonFieldErrors": _messages(detail)}


def _messages(detail) -> list:
    if isinstance(detail, dict):
        return [f"{k}: {m}" for k, v in detail.items() for m in _messages(v)]
    if isinstance(detail, list):
        return [m for item in detail for m in _messages(item)]
    return [str(detail)]


def exception_handler(exc, context):
    """Domain errors -> `{"message"}` with the reference's status; validation -> 400 with `errors`."""
    if isinstance(exc, exceptions.InvalidInput):
        exc = drf_exceptions.ValidationError(exc.errors)
    if isinstance(exc, exceptions.OctantError):
        body = {"message": exc.text}
        if isinstance(exc, WITH_DETAIL):  # the reference's HTTPException body, kept beside our message
            body["detail"] = exc.text
        return Response(body, status=http_status(exc))
    if isinstance(exc, drf_exceptions.ValidationError):
        errors = _flatten(exc.detail)
        summary = "; ".join(f"{field}: {problems[0]}" for field, problems in errors.items())
        return Response({"message": f"Invalid request: {summary}", "errors": errors},
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, drf_exceptions.ParseError):
        return Response({"message": f"Invalid request: {exc.detail}", "errors": {}}, status=400)
    response = drf_exception_handler(exc, context)
    if response is not None:
        detail = response.data.get("detail") if isinstance(response.data, dict) else response.data
        response.data = {"message": str(detail)}
    return response
