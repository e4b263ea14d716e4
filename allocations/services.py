"""Writes about allocations: the signed allocation of a budget to projects (docs/lifecycle.md §9.3).
The aggregates every change keeps, and the row locks in their order, are the funding store's
(allocations.funding)."""
import logging
from collections import Counter
from dataclasses import dataclass, replace
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction

from deposits.selectors import budget_of
from epochs import selectors as epoch_selectors
from octant.core import exceptions, signatures
from octant.core.queue import enqueue_once
from users.models import PatronEvent, User
from users.selectors import is_patron, patron_mode_nonce, patron_toggles
from users.services import locked_user, verify_patron_toggle, verify_signed

from . import funding, selectors
from .models import AllocationRequest, UniquenessQuotient
from .selectors import AllocationFacts

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Allocated:
    epoch: int
    projects: list[str]  # every project whose donors changed
    replaced: bool = True  # whether earlier allocations were withdrawn (aggregates left inexact)


# --- allocate ---------------------------------------------------------------------------------------------


def allocate(*, user_address: str, allocations: list[tuple[str, int]], nonce: int, signature: str,
             is_manually_edited: bool | None, view: epoch_selectors.ChainView) -> Allocated:
    """Replace the user's allocations of the open window's epoch with a signed new set.

    Checks run in the reference's order (window, empty, nonce, patron, budget, self, validity, duplicates,
    signature), all of them first without any lock: a request that fails one (a forged signature above
    all, the costly check) never waits for or holds the user's row. Then, in one transaction, `_recheck`
    locks the user's row and checks again what a concurrent request can change (nonce, patron mode), so two
    concurrent requests of one user cannot both use a nonce or both spend one budget, and `_write` replaces
    the allocations and updates the aggregates (the funding store's locks, in their order)."""
    epoch = view.pending
    if epoch is None:
        raise exceptions.AllocationWindowClosed()
    if not allocations:
        raise exceptions.EmptyAllocations()
    checked = _check(user_address, epoch, allocations, nonce)
    payload = {"allocations": [{"proposalAddress": p, "amount": a} for p, a in allocations], "nonce": nonce}
    verify_signed(user_address, signatures.allocation_digest(payload, chain_id=settings.CHAIN_ID), signature)
    try:
        with transaction.atomic():
            user, locked = _recheck(user_address, nonce, checked, projects=[p for p, _ in allocations])
            result = _write(user, allocations, nonce=nonce, signature=signature,
                            is_manually_edited=is_manually_edited, now=view.now, checked=checked, locked=locked)
    except IntegrityError:
        # only a concurrent request for a brand-new user can get here (both inserting the user row)
        raise exceptions.WrongAllocationsNonce(nonce, _expected_nonce(user_address))
    transaction.on_commit(lambda: _after_commit(result, view=view))
    return result


def _expected_nonce(address: str) -> int:
    user = User.objects.filter(address=address).first()
    return 0 if user is None or user.allocation_nonce is None else user.allocation_nonce + 1


def allocation_check(*, user_address: str, allocations: list[tuple[str, int]], nonce: int,
                     view: epoch_selectors.ChainView) -> int:
    """Every check of `allocate` except the signature, in its order, without writing: a Safe's allocation
    message is checked before its owners sign it (multisig flow). Returns the epoch."""
    if view.pending is None:
        raise exceptions.AllocationWindowClosed()
    if not allocations:
        raise exceptions.EmptyAllocations()
    _check(user_address, view.pending, allocations, nonce)
    return view.pending


def _check(user_address, epoch, allocations, nonce) -> AllocationFacts:
    """The checks between the nonce and the signature, without any lock, on what one statement reads
    (selectors.allocation_facts; the timing of an epoch not indexed yet from the chain). Returns the facts."""
    facts = selectors.allocation_facts(epoch=epoch, address=user_address)
    expected = 0 if facts.nonce is None else facts.nonce + 1
    if nonce != expected:
        raise exceptions.WrongAllocationsNonce(nonce, expected)
    facts = replace(facts, details=facts.details or epoch_selectors.epoch_details(epoch=epoch))
    if facts.budget is not None and is_patron(address=user_address, at=facts.details.finalized_at,
                                              toggles=facts.toggles):
        raise exceptions.NotAllowedInPatronMode(user_address)
    _check_payload(user_address, allocations, facts)
    return facts


def _check_payload(user_address, allocations, facts: AllocationFacts) -> None:
    """Budget, self-allocation, valid and distinct projects (the reference's order)."""
    if facts.budget is None:
        raise exceptions.BudgetNotFound(user_address, facts.epoch)
    if sum(amount for _, amount in allocations) > facts.budget:
        raise exceptions.RewardsBudgetExceeded()
    valid = set(facts.projects)
    if user_address in valid:
        raise exceptions.ProjectAllocationToSelf()
    projects = [project for project, _ in allocations]
    invalid = sorted(set(projects) - valid)
    if invalid:
        raise exceptions.InvalidProjects("{" + ", ".join(f"'{p}'" for p in invalid) + "}")
    counts = Counter(projects)
    duplicated = [p for p in projects if counts[p] > 1]  # every occurrence, in payload order, as the reference
    if duplicated:
        raise exceptions.DuplicatedProjects(duplicated)


def _recheck(user_address: str, nonce: int, checked: AllocationFacts, *,
             projects: list[str]) -> tuple[User, funding.Locked]:
    """The locked re-check: lock the user's row by moving the nonce (step 1), then check patron mode again
    (a toggle may have committed since the first check) on the reads made under that lock (the patron-mode
    toggles up to the window's close, for this check and the matching pool, the user's live allocations
    and the projects' aggregates, rebuilt first if those of the user, the epoch or `projects` are missing or
    disagree with the allocations)."""
    user = funding.move_nonce(address=user_address, user_id=checked.user_id, last=checked.nonce, nonce=nonce)
    if user is None:
        raise exceptions.WrongAllocationsNonce(nonce, _expected_nonce(user_address))
    locked = funding.locked_reads(epoch=checked.epoch, user_id=user.id, address=user_address,
                                  until=checked.details.finalized_at, projects=projects)
    if is_patron(address=user_address, at=checked.details.finalized_at, toggles=locked.toggles):
        raise exceptions.NotAllowedInPatronMode(user_address)
    return user, locked


def _write(user: User, allocations: list[tuple[str, int]], *, nonce, signature, is_manually_edited, now,
           checked: AllocationFacts, locked: funding.Locked) -> Allocated:
    """The locked write, the user's row held: freeze the UQ, work out the matching pool and simulate the
    leverage on the aggregates read with the user's row (as the reference, which locks nothing, reads
    them), then have the funding store replace the allocations and move the aggregates (funding.write: the
    touched projects' rows locked, then one statement)."""
    epoch, previous = checked.epoch, locked.previous
    uq, frozen = _uq_to_freeze(user, checked.uq)
    matched = selectors.estimated_matched_rewards(epoch=epoch, now=now, finalized_at=checked.details.finalized_at,
                                                  patron_toggles=locked.toggles, snapshot=checked.snapshot)
    leverage = selectors.allocation_leverage(
        epoch=epoch, previous=[(p, a) for _, p, a in previous], new=allocations, uq=uq, projects=checked.projects,
        matched=matched, address=user.address, aggregates=locked.aggregates)
    request = AllocationRequest(user=user, epoch=epoch, nonce=nonce, signature=signature,
                                is_manually_edited=is_manually_edited, leverage=leverage, timestamp=now)
    change = funding.Change(epoch, user, previous, allocations, uq, checked.budget, request, freeze=not frozen)
    touched = funding.write(change, existing=locked.existing)
    return Allocated(epoch=epoch, projects=touched, replaced=bool(previous))


def _uq_to_freeze(user: User, frozen: str | None) -> tuple[Decimal, bool]:
    """The user's UQ for the epoch (selectors.uq_or_current) and whether it is frozen already: else the
    allocation freezes it. `frozen` was read before the user's row was locked, and stays true under the
    lock: only an allocation of the user freezes it, and a concurrent one would have moved the nonce."""
    return selectors.uq_or_current(frozen, address=user.address), frozen is not None


def patron_mode_toggle(*, address: str, signature: str, view: epoch_selectors.ChainView) -> bool:
    """Switch patron mode (EIP-191 signed: the text with the user's patron-mode nonce, or the legacy text
    once per address and action; users.services.verify_patron_toggle). While an allocation window is open,
    the user's allocations of that epoch are withdrawn in the same transaction: a patron's budget goes to
    the matching pool. Returns the new status. In a window the epoch's totals are locked once the signature
    is verified (funding.lock_open_window): a toggle that finds the window's finalized snapshot taken
    meanwhile (its chain view read before the close) is refused (AllocationWindowClosed), since the
    snapshot counted the patrons without it."""
    with transaction.atomic():
        locked_user(address)
        toggles = patron_toggles(address=address)
        enable = not is_patron(address=address, toggles=toggles)
        verify_patron_toggle(address, enable=enable, nonce=patron_mode_nonce(address=address, toggles=toggles),
                             signature=signature)
        if view.pending is not None:
            funding.lock_open_window(epoch=view.pending)
        PatronEvent.objects.create(address=address, enabled=enable, timestamp=view.now)
        if view.pending is not None:
            allocations_revoke(address=address, epoch=view.pending, view=view)
    return enable


def allocations_revoke(*, address: str, epoch: int, view: epoch_selectors.ChainView) -> int:
    """Withdraw the user's live allocations of `epoch` (patron mode switched on during the window); the
    aggregates follow in the same transaction (funding.write, the rows locked in the store's order).
    Returns how many rows were withdrawn."""
    with transaction.atomic():
        user = locked_user(address, create=False)  # step 1 (patron_mode_toggle holds it already)
        if user is None:
            return 0
        previous = list(selectors.live_allocations(epoch=epoch).filter(user=user).values_list(
            "id", "project_address", "amount"))
        if not previous:
            return 0
        funding.trusted_aggregates(epoch=epoch, user_id=user.id, address=address, previous=previous)
        uq = Decimal(UniquenessQuotient.objects.get(user=user, epoch=epoch).score)
        budget = budget_of(epoch=epoch, address=address) or 0
        result = Allocated(epoch=epoch, projects=funding.write(funding.Change(epoch, user, previous, [], uq, budget)))
    transaction.on_commit(lambda: _after_commit(result, view=view))
    return len(previous)


def _after_commit(result: Allocated, *, view: epoch_selectors.ChainView) -> None:
    """Side effects of a committed allocation change, kept out of the request where possible and coalesced
    (one queued run at a time, octant.core.queue): the aggregates' exact rebuild goes to Celery, to start
    FUNDING_REBUILD_DELAY_SECONDS later (one run then covers the allocations of that while), and the
    websocket broadcast is scheduled, at most one per epoch per BROADCAST_MIN_INTERVAL_SECONDS
    (`realtime.schedule_broadcast`: the Celery task when the channel layer is shared between processes,
    this process when it is the in-memory layer, which only reaches this process's sockets).

    The change is committed: nothing here may turn it into an error (a client would retry and get "wrong
    nonce"). What fails (Redis or the broker down) is left for the beat tick, which rebuilds inexact
    aggregates and broadcasts projects not yet broadcast (`catch_up`)."""
    from . import realtime, tasks

    try:
        if result.replaced:  # only a withdrawal leaves an aggregate inexact
            enqueue_once(tasks.project_funding_rebuild_task, result.epoch,
                         countdown=settings.FUNDING_REBUILD_DELAY_SECONDS)
    except Exception:
        logger.exception("queueing the aggregate rebuild after an allocation failed; the beat tick will")
    try:
        realtime.schedule_broadcast(epoch=result.epoch, view=view)
    except Exception:
        logger.exception("broadcast after an allocation failed; the beat tick will")


def catch_up(*, epoch: int) -> dict:
    """For the beat tick: queue what an allocation's after-commit step could not (an outage of Redis or the
    broker): the exact rebuild of inexact aggregates and the broadcast of projects changed since their last
    broadcast. Each is coalesced with any run already queued."""
    from . import realtime, tasks

    queued = {"rebuild": False, "broadcast": False}
    if funding.inexact(epoch=epoch):
        queued["rebuild"] = enqueue_once(tasks.project_funding_rebuild_task, epoch)
    if realtime.layer_is_shared() and funding.unsent(epoch=epoch):  # (the in-memory layer reaches no worker's clients)
        queued["broadcast"] = enqueue_once(tasks.broadcast_changes_task, epoch)
    return queued
