"""Reads about users: patron mode, terms-of-service consent."""
import math

from django.db import connection
from django.db.models import Count, Max

from epochs.selectors import epoch_details
from octant.core import signatures
from rewards import engine as rewards_engine

from .models import PatronEvent, UserConsent


def is_patron(*, address: str, at: int | None = None, toggles: list[dict] | None = None) -> bool:
    """Whether the user is in patron mode at chain time `at` (None: by every toggle), by the one rule
    (rewards.engine.patrons) over their toggles, or over `toggles` when the caller has read them
    (`patron_toggles`: those up to `at` at least)."""
    if toggles is None:
        toggles = patron_toggles(address=address)
    return address in rewards_engine.patrons(toggles, at=math.inf if at is None else at)


def patron_mode_nonce(*, address: str, toggles: list[dict] | None = None) -> int:
    """The user's patron-mode nonce: how many times their mode was switched (`toggles`: every toggle of the
    user, when the caller has read them). A toggle signs it (octant.core.signatures.patron_mode_message),
    and it moves with each toggle."""
    return len(patron_toggles(address=address) if toggles is None else toggles)


def patron_mode_to_sign(*, address: str) -> tuple[int, str]:
    """The user's patron-mode nonce and the text that switches their mode now (with that nonce)."""
    toggles = patron_toggles(address=address)
    nonce = patron_mode_nonce(address=address, toggles=toggles)
    enable = not is_patron(address=address, toggles=toggles)
    return nonce, signatures.patron_mode_message(address, enable=enable, nonce=nonce)


def has_accepted_tos(*, address: str) -> bool:
    return UserConsent.objects.filter(user__address=address).exists()


def patron_toggles_sql(*, of_user: bool = False) -> str:
    """The one read of the patron-mode toggles, as SQL that a statement reading more can fold in: every
    toggle up to a chain time (the parameter) or, `of_user`, every toggle of one user (the parameter: the
    address; rewards.engine.patrons applies the time), in order, in the columns the engine takes (user,
    enabled, created_at). `patron_toggles` runs it."""
    where = "address = %s" if of_user else "timestamp <= %s"
    return (f'SELECT address AS "user", enabled, timestamp AS created_at '
            f"FROM {connection.ops.quote_name(PatronEvent._meta.db_table)} WHERE {where} ORDER BY id")


def patron_toggles(*, timestamp: int | None = None, address: str | None = None) -> list[dict]:
    """Every patron-mode toggle up to chain time `timestamp`, or every toggle of `address`, in order, as
    rewards.engine.patrons takes them."""
    with connection.cursor() as cursor:
        cursor.execute(patron_toggles_sql(of_user=address is not None), [timestamp if address is None else address])
        return [{"user": user, "enabled": enabled, "created_at": at} for user, enabled, at in cursor.fetchall()]


def patron_toggles_version(*, timestamp: int) -> str:
    """A key that changes whenever the patron-mode toggles up to chain time `timestamp` do (for answers kept
    per state): the last toggle's id and how many there are."""
    toggles = PatronEvent.objects.filter(timestamp__lte=timestamp).aggregate(last=Max("id"), count=Count("id"))
    return "{last}:{count}".format(**toggles)


def patrons_at(*, timestamp: int) -> list[str]:
    """Users in patron mode at chain time `timestamp` (docs/rewards.md §3.8)."""
    return rewards_engine.patrons(patron_toggles(timestamp=timestamp), at=timestamp)


def window_patrons(*, epoch: int, until: int | None = None, finalized_at: int | None = None,
                   toggles: list[dict] | None = None) -> list[str]:
    """Users in patron mode when `epoch`'s allocation window closes (its `finalized_at`, docs/rewards.md §3.8): the
    one rule behind the matching pool, unused rewards, the patrons list and the history. With `until`
    earlier than the close (a window still open), the patrons at `until`. `toggles`: the patron-mode
    toggles up to that instant at least, and the epoch's `finalized_at`, if the caller has read them."""
    at = epoch_details(epoch=epoch).finalized_at if finalized_at is None else finalized_at
    if until is not None:
        at = min(at, until)
    if toggles is None:
        return patrons_at(timestamp=at)
    return rewards_engine.patrons(toggles, at=at)
