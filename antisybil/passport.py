"""Where Gitcoin Passport scores come from (`PASSPORT_BACKEND`): the Passport Scorer API, or the local
chain's scores (`manage.py chain passport`)."""
from dataclasses import dataclass, field
from datetime import datetime, timezone

from django.conf import settings

from octant.core.exceptions import ExternalApiException
from octant.core.external import JsonApi
from octant.chain.backends import get_chain

SCORE_POLL_TRIES = 5


@dataclass(frozen=True)
class Passport:
    score: str  # decimal string
    stamps: list = field(default_factory=list)  # the scorer's stamp items


class PassportProvider:
    def fetch(self, address: str) -> Passport:
        raise NotImplementedError


class LocalPassport(PassportProvider):
    """Scores set on the local chain; no stamps."""

    def fetch(self, address: str) -> Passport:
        score = get_chain().passport_score(address)
        return Passport(score=str(score if score is not None else 0))


class ScorerPassport(PassportProvider):
    """The Gitcoin Passport Scorer: submit the address, poll the score until DONE (exponential back-off,
    up to 5 polls), then read the first page of stamps (docs/lifecycle.md §5.1)."""

    def __init__(self):
        self.api = JsonApi(settings.GC_PASSPORT_SCORER_BASE_URL,
                           headers={"X-API-KEY": settings.GC_PASSPORT_SCORER_API_KEY})
        self.scorer_id = settings.GC_PASSPORT_SCORER_ID

    def fetch(self, address: str) -> Passport:
        import time

        result = self.api.request("POST", "/registry/submit-passport",
                                  json={"address": address, "scorer_id": self.scorer_id})
        for attempt in range(SCORE_POLL_TRIES):
            if _status(result) == "DONE":
                break
            time.sleep(settings.EXTERNAL_API_BACKOFF * 2**attempt)
            result = self.api.request("GET", f"/registry/score/{self.scorer_id}/{address}")
        if _status(result) != "DONE":
            raise ExternalApiException()
        stamps = self.api.request("GET", f"/registry/stamps/{address}")
        items = stamps.get("items") if isinstance(stamps, dict) else None
        if not isinstance(items, list):
            raise ExternalApiException()
        return Passport(score=_score(result), stamps=items)


def _status(result) -> str | None:
    return result.get("status") if isinstance(result, dict) else None


def _score(result) -> str:
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(str(result.get("score")))
    except InvalidOperation:
        raise ExternalApiException()
    if not value.is_finite():
        raise ExternalApiException()
    return str(value)


def get_provider() -> PassportProvider:
    return ScorerPassport() if settings.PASSPORT_BACKEND == "scorer" else LocalPassport()


def stamp_expiry(stamp) -> int | None:
    """A stamp's expiration as Unix seconds; None if it has none readable."""
    try:
        text = stamp["credential"]["expirationDate"]
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


def stamp_provider(stamp) -> str | None:
    try:
        return stamp["credential"]["credentialSubject"]["provider"]
    except (KeyError, TypeError):
        return None
