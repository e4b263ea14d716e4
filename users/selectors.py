"""Reads about users: patron mode, terms-of-service consent."""
from django.db.models import Count, Max

from epochs.selectors import epoch_details
from rewards import engine as rewards_engine

from .models import PatronEvent, UserConsent


def is_patron(*, address: str, at: int | None = None) -> bool:
    """Whether the user's latest patron-mode toggle (up to chain time `at`) enabled it."""
    events = PatronEvent.objects.filter(address=address)
    if at is not None:
        events = events.filter(timestamp__lte=at)
    latest = events.order_by("-timestamp", "-id").first()
    return bool(latest and latest.enabled)


def has_accepted_tos(*, address: str) -> bool:
    return UserConsent.objects.filter(user__address=address).exists()


def patron_toggles(*, timestamp: int) -> list[dict]:
    """Every patron-mode toggle up to chain time `timestamp`, in order, as rewards.engine.patrons takes them."""
    return [{"user": a, "enabled": e, "created_at": t} for a, e, t in
            PatronEvent.objects.filter(timestamp__lte=timestamp).order_by("id")
            .values_list("address", "enabled", "timestamp")]


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
