"""Safe Transaction Service client (docs/lifecycle.md §5.3): off-chain messages and Safe details. 429 backs
off (Retry-After, else 1, 2, 4... s), other failures and an unknown message are `ExternalApiException`."""
from django.conf import settings

from octant.core.exceptions import ExternalApiException
from octant.core.external import NOT_FOUND, JsonApi


class SafeTransactionService:
    def __init__(self):
        self.api = JsonApi(settings.SAFE_TRANSACTION_SERVICE_URL)

    def message(self, message_hash: str) -> dict:
        """{safe, confirmations, preparedSignature, ...} of an off-chain message."""
        result = self.api.request("GET", f"/messages/{message_hash}/", allow_404=True)
        if result is NOT_FOUND or not isinstance(result, dict):
            raise ExternalApiException()
        return result

    def safe(self, address: str) -> dict:
        """{threshold, owners, ...} of a Safe."""
        result = self.api.request("GET", f"/safes/{address}/")
        if not isinstance(result, dict):
            raise ExternalApiException()
        return result
