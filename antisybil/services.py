"""Writes about Gitcoin Passport scores and UQ delegation (docs/lifecycle.md §5.1, §9.5)."""
import time

from django.db import IntegrityError, transaction

from octant.core import signatures
from octant.core.exceptions import (AddressAlreadyDelegated, AntisybilScoreTooLow, DelegationAlreadyExists,
                                    DelegationDoesNotExist, InvalidDelegationForLockingAddress,
                                    InvalidDelegationRequest, InvalidRecalculationRequest, UserNotFound)
from deposits.selectors import current_epoch_effective_deposit
from epochs.selectors import ChainView
from users.models import User
from users.services import verify_signed

from . import selectors
from .models import PassportStamps, ScoreDelegation
from .passport import Passport, get_provider, stamp_expiry


def _store(user: User, passport: Passport) -> PassportStamps:
    """Save a fetched passport: its unexpired stamps, expiring at the earliest of them (or now)."""
    now = int(time.time())
    live = [s for s in passport.stamps if (stamp_expiry(s) or 0) > now]
    score = "0" if selectors.is_on_timeout_list(user.address) else passport.score
    return PassportStamps.objects.create(user=user, score=score, stamps=live,
                                         expires_at=min((stamp_expiry(s) for s in live), default=now))


def antisybil_refresh(*, address: str) -> None:
    """Fetch the address's passport from the provider and store it (`PUT /user/{a}/antisybil-status`)."""
    if selectors.is_delegated(address):
        raise AddressAlreadyDelegated()
    user = User.objects.filter(address=address).first()
    if user is None:
        raise UserNotFound(address)
    passport = get_provider().fetch(address)
    _store(user, passport)


def delegate(*, primary: str, secondary: str, primary_signature: str, secondary_signature: str,
             view: ChainView) -> None:
    """Lend the secondary address's passport score to the primary (docs/lifecycle.md §9.5), in v2's order of
    checks, except that the locking check looks at the secondary address itself."""

    selectors.require_delegation_configured()
    message = signatures.delegation_message(secondary, primary)
    verify_signed(primary, message, primary_signature)
    verify_signed(secondary, message, secondary_signature)
    if primary == secondary or selectors.is_on_timeout_list(secondary):
        raise InvalidDelegationRequest()
    if ScoreDelegation.objects.filter(hashed_addr__in=[selectors.primary_hash(primary),
                                                       selectors.secondary_hash(secondary)]).exists():
        raise DelegationAlreadyExists()
    passport = get_provider().fetch(secondary)
    score = float(passport.score)
    if score < selectors.DELEGATION_MIN_SCORE:
        raise AntisybilScoreTooLow(score, selectors.DELEGATION_MIN_SCORE)
    if view.current >= 1 and current_epoch_effective_deposit(address=secondary, view=view) > 0:
        raise InvalidDelegationForLockingAddress()
    user = User.objects.filter(address=primary).first()
    if user is None:
        raise UserNotFound(primary)
    try:
        with transaction.atomic():
            ScoreDelegation.objects.bulk_create(ScoreDelegation(hashed_addr=h) for h in (
                selectors.primary_hash(primary), selectors.secondary_hash(secondary),
                selectors.pair_hash(primary, secondary)))
            _store(user, passport)
    except IntegrityError:  # a concurrent delegation of the same address won
        raise DelegationAlreadyExists()


def delegation_recalculate(*, primary: str, secondary: str) -> None:
    """Deprecated in the reference: never succeeds."""
    selectors.require_delegation_configured()
    if not selectors.delegation_exists(primary=primary, secondary=secondary):
        raise DelegationDoesNotExist()
    raise InvalidRecalculationRequest()
