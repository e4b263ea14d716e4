"""A small JSON client for the external HTTP services (Gitcoin Passport Scorer, Safe Transaction Service):
a timeout on every request, and retries with exponential back-off on timeouts, connection errors, 429
(honouring Retry-After) and 5xx. Whatever still fails becomes `ExternalApiException` (503), never a 500."""
import logging
import time

import requests
from django.conf import settings

from .exceptions import ExternalApiException

logger = logging.getLogger(__name__)

NOT_FOUND = object()


class JsonApi:
    def __init__(self, base_url: str, *, headers: dict | None = None):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update(headers or {})

    def _delay(self, attempt: int, response=None) -> float:
        retry_after = response.headers.get("Retry-After") if response is not None else None
        if retry_after:
            try:
                return min(float(retry_after), 60.0)
            except ValueError:
                pass
        return settings.EXTERNAL_API_BACKOFF * 2**attempt

    def request(self, method: str, path: str, *, allow_404: bool = False, **kwargs):
        """The decoded JSON body; `NOT_FOUND` for a 404 when `allow_404`."""
        url = self.base_url + path
        retries = settings.EXTERNAL_API_RETRIES
        for attempt in range(retries + 1):
            response = None
            try:
                response = self.session.request(method, url, timeout=settings.EXTERNAL_API_TIMEOUT, **kwargs)
            except requests.RequestException as exc:
                logger.warning("%s %s failed: %s", method, url, exc)
            else:
                if response.status_code == 404 and allow_404:
                    return NOT_FOUND
                if response.status_code < 400:
                    try:
                        return response.json()
                    except ValueError:
                        logger.warning("%s %s answered non-JSON", method, url)
                        raise ExternalApiException()
                if response.status_code != 429 and response.status_code < 500:
                    logger.warning("%s %s answered %s", method, url, response.status_code)
                    raise ExternalApiException()
                logger.warning("%s %s answered %s (attempt %s)", method, url, response.status_code, attempt + 1)
            if attempt < retries:
                time.sleep(self._delay(attempt, response))
        raise ExternalApiException()
