"""Reads about Gitcoin Passport scores, the guest and timeout lists, UQ scores and delegations."""
import hashlib
import json
from datetime import datetime, timezone
from decimal import Decimal

from django.conf import settings
from django.db import connection

from octant.core.exceptions import DelegationNotConfigured, GPStampsNotFound

from users.models import User

from . import engine
from .models import PassportListEntry, PassportStamps, ScoreDelegation
from .passport import LocalPassport, get_provider, stamp_expiry, stamp_provider

DELEGATION_MIN_SCORE = 15


def _on_list(kind: str, address: str) -> bool:
    return PassportListEntry.objects.filter(kind=kind, address=address.lower(),
                                            mainnet=settings.CHAIN_ID == 1).exists()


def is_on_timeout_list(address: str) -> bool:
    return _on_list(PassportListEntry.Kind.TIMEOUT, address)


def is_on_guest_list(address: str) -> bool:
    return _on_list(PassportListEntry.Kind.GUEST, address)


def latest_stamps(address: str) -> PassportStamps | None:
    return PassportStamps.objects.filter(user__address=address).order_by("-id").first()


def _engine_stamps(stamps) -> list[dict]:
    result = []
    for stamp in stamps or []:
        expiry = stamp_expiry(stamp)
        if expiry is not None:
            result.append({"provider": stamp_provider(stamp) or "",
                           "expiration": datetime.fromtimestamp(expiry, tz=timezone.utc)})
    return result


def score_of(address: str, *, score: str | None, stamps=(), on_timeout_list: bool | None = None,
             on_guest_list: bool | None = None) -> float:
    """The GP score used for the UQ and shown by the antisybil status (docs/rewards.md §5.5), from a stored
    score and its stamps (None: no record). The lists are read unless the caller says."""
    if on_timeout_list is None:
        on_timeout_list = is_on_timeout_list(address)
    if on_timeout_list:
        return 0.0
    if on_guest_list is None:
        on_guest_list = is_on_guest_list(address)
    return engine.passport_score(None if score is None else float(score), stamps=_engine_stamps(stamps),
                                 on_guest_list=on_guest_list, now=datetime.now(timezone.utc))


def _unstored_score(address: str) -> str | None:
    """The score of an address without stored stamps: the local chain's, as if just fetched, with the
    local passport provider; none with the others."""
    provider = get_provider()
    return provider.fetch(address).score if isinstance(provider, LocalPassport) else None


def passport_score(address: str, *, on_timeout_list: bool | None = None) -> float:
    """The address's GP score from its latest stored stamps. With the local passport provider an address
    without stored stamps reads the local chain's score, as if it had just been fetched."""
    row = latest_stamps(address)
    if row is not None:
        return score_of(address, score=row.score, stamps=row.stamps, on_timeout_list=on_timeout_list)
    return score_of(address, score=_unstored_score(address), on_timeout_list=on_timeout_list)


def _passport_facts(address: str) -> tuple[bool, bool, tuple[str, list] | None]:
    """(on the timeout list, on the guest list, the latest stored (score, stamps) or None), in one query."""
    quote = connection.ops.quote_name
    lists, stamps, users = (quote(model._meta.db_table) for model in (PassportListEntry, PassportStamps, User))
    on_list = f"SELECT 1 FROM {lists} WHERE kind = %s AND address = %s AND mainnet = %s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS({on_list}), EXISTS({on_list}), latest.score, latest.stamps FROM (SELECT 1 AS one) o "
            f"LEFT JOIN (SELECT s.score, CAST(s.stamps AS TEXT) AS stamps FROM {stamps} s "
            f"JOIN {users} u ON u.id = s.user_id WHERE u.address = %s ORDER BY s.id DESC LIMIT 1) latest ON 1 = 1",
            [PassportListEntry.Kind.TIMEOUT.value, address.lower(), settings.CHAIN_ID == 1,
             PassportListEntry.Kind.GUEST.value, address.lower(), settings.CHAIN_ID == 1, address])
        timeout, guest, score, stamps = cursor.fetchone()
    return bool(timeout), bool(guest), None if score is None else (score, json.loads(stamps))


def uq_score(address: str) -> Decimal:
    """The UQ an allocation made now would freeze for the address (docs/rewards.md §5.5): the engine's rule
    (antisybil.engine.uq_score, the timeout list included) on its GP score. The only place a UQ is
    computed from a passport; allocations.selectors.uq_or_current freezes it per epoch. The lists and the
    latest stamps are read in one query (the local chain's score apart, for an address without stamps)."""
    timeout, guest, latest = _passport_facts(address)
    if timeout:  # no stamps read on the list
        score = 0.0
    else:
        stored, stamps = latest if latest is not None else (_unstored_score(address), ())
        score = score_of(address, score=stored, stamps=stamps, on_timeout_list=False, on_guest_list=guest)
    return engine.uq_score(score, threshold=engine.uq_threshold(mainnet=settings.CHAIN_ID == 1),
                           on_timeout_list=timeout)


def antisybil_status(*, address: str) -> dict:
    """The address's latest stored passport: `status` ("Known"), `score` (the GP score as the UQ reads it),
    `expires_at` (Unix seconds) and `on_timeout_list`; GPStampsNotFound without one."""
    row = latest_stamps(address)
    if row is None:
        raise GPStampsNotFound()
    return {"status": "Known", "score": score_of(address, score=row.score, stamps=row.stamps),
            "expires_at": row.expires_at, "on_timeout_list": is_on_timeout_list(address)}


# --- delegation hashes (docs/lifecycle.md §9.5) ----------------------------------------------------------


def delegation_configured() -> bool:
    return bool(settings.DELEGATION_SALT and settings.DELEGATION_SALT_PRIMARY)


def require_delegation_configured() -> None:
    """Without both salts the hashes would link addresses in clear: delegation stays off."""
    if not delegation_configured():
        raise DelegationNotConfigured()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def primary_hash(primary: str) -> str:
    return _sha256(settings.DELEGATION_SALT_PRIMARY + primary)


def secondary_hash(secondary: str) -> str:
    return _sha256(settings.DELEGATION_SALT + secondary)


def pair_hash(primary: str, secondary: str) -> str:
    return _sha256(settings.DELEGATION_SALT_PRIMARY + primary + settings.DELEGATION_SALT + secondary)


def _hash_exists(hashed: str) -> bool:
    return ScoreDelegation.objects.filter(hashed_addr=hashed).exists()


def is_delegated(address: str) -> bool:
    """Whether the address takes part in a delegation, as primary or as secondary."""
    if not delegation_configured():
        return False  # no delegation can have been made
    return ScoreDelegation.objects.filter(hashed_addr__in=[primary_hash(address), secondary_hash(address)]).exists()


def delegation_exists(*, primary: str, secondary: str) -> bool:
    return _hash_exists(pair_hash(primary, secondary))


def delegation_check(*, addresses: list[str]) -> tuple[str, str] | None:
    """The first ordered pair (primary, secondary) of `addresses` with a delegation, else None."""
    require_delegation_configured()
    pairs = [(p, s) for p in addresses for s in addresses if p != s]
    found = set(ScoreDelegation.objects.filter(hashed_addr__in=[pair_hash(p, s) for p, s in pairs]).values_list(
        "hashed_addr", flat=True))
    return next(((p, s) for p, s in pairs if pair_hash(p, s) in found), None)
