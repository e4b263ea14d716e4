"""Safe Transaction Service client (docs/lifecycle.md §5.3): off-chain messages and Safe details. 429 backs
off (Retry-After, else 1, 2, 4... s), other failures and an unknown message are `ExternalApiException`.
With SAFE_TRANSACTION_SERVICE_URL empty (the default on the local chain) the local chain's own service
(docs/lifecycle.md §5.4), which `/api/v1/` serves over HTTP, answers the same in process."""
from django.conf import settings

from octant.chain import safe_service
from octant.core.exceptions import ExternalApiException, SafeMessageNotFound, SafeNotFound
from octant.core.external import NOT_FOUND, JsonApi


class SafeTransactionService:
    def __init__(self):
        url = settings.SAFE_TRANSACTION_SERVICE_URL
        self.api = JsonApi(url) if url else None

    def message(self, message_hash: str) -> dict:
        """{safe, confirmations, preparedSignature, ...} of an off-chain message."""
        if self.api is None:
            return _local(safe_service.safe_message, message_hash=message_hash)
        result = self.api.request("GET", f"/messages/{message_hash}/", allow_404=True)
        if result is NOT_FOUND or not isinstance(result, dict):
            raise ExternalApiException()
        return result

    def safe(self, address: str) -> dict:
        """{threshold, owners, ...} of a Safe."""
        if self.api is None:
            return _local(safe_service.safe_info, address=address)
        result = self.api.request("GET", f"/safes/{address}/")
        if not isinstance(result, dict):
            raise ExternalApiException()
        return result


def _local(read, **kwargs) -> dict:
    try:
        return read(**kwargs)
    except (SafeNotFound, SafeMessageNotFound):  # the service's 404, as over HTTP
        raise ExternalApiException()
