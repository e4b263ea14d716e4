"""Writes about allocations: the signed allocation of a budget to projects (docs/lifecycle.md §9.3)."""
import logging
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from allocations import engine
from deposits.models import Budget
from deposits.selectors import budget_of, budget_rows
from epochs import selectors as epoch_selectors
from epochs.models import Epoch, PendingEpochSnapshot
from octant.core import exceptions, signatures
from octant.core.fields import WeiField as WeiModelField
from octant.core.queue import enqueue_once
from projects.selectors import project_addresses
from rewards import engine as rewards_engine
from users.models import PatronEvent, User
from users.selectors import is_patron
from users.services import locked_user, verify_signed

from . import selectors
from .models import Allocation, AllocationRequest, DonorFunding, EpochFunding, ProjectFunding, UniquenessQuotient

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Allocated:
    epoch: int
    projects: list[str]  # every project whose donors changed
    replaced: bool = True  # whether earlier allocations were withdrawn (aggregates left inexact)


@dataclass(frozen=True)
class KnownUser:
    id: int | None
    nonce: int | None
    budget: int | None
    uq: str | None  # the frozen UQ score of the epoch, once the user has allocated in it


@dataclass(frozen=True)
class Checked:
    """What the checks without a lock read, for the locked steps."""

    epoch: int
    details: Epoch  # the epoch's timing (its window closes at details.finalized_at)
    projects: list[str]  # the epoch's projects
    known: KnownUser
    snapshot: PendingEpochSnapshot | None = None  # the epoch's pending snapshot, when the checks read it


# --- row locks -------------------------------------------------------------------------------------------
# Every writer of a user's allocations takes its row locks through these helpers and in this order, so two
# writers never wait for each other in a cycle:
#   1. the user's row (users.services.locked_user, or the conditional nonce update of `_lock_user_nonce`);
#   2. the touched projects' aggregates, by address (`lock_project_funding`);
#   3. the donor's row, then the epoch's totals (`_add_claimed`), last (an allocation on PostgreSQL writes
#      both in the statement of its other writes, `_write_rows`).
# The exact rebuild (`project_funding_rebuild`) takes only locks of step 2, one project at a time.


def _lock_user_nonce(user_address: str, nonce: int, known: KnownUser) -> User:
    """Step 1 for an allocation: move the nonce only if it is still the one checked, which locks the
    user's row; a concurrent request of the same user waits here, then finds the nonce moved
    (WrongAllocationsNonce). A new user's row is inserted (a concurrent twin's: IntegrityError)."""
    if known.id is None:
        return User.objects.create(address=user_address, allocation_nonce=nonce)
    if connection.vendor == "postgresql":  # the statement the ORM writes, without its ~0.5 ms of Python
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {connection.ops.quote_name(User._meta.db_table)} SET allocation_nonce = %s "
                           f"WHERE id = %s AND allocation_nonce IS NOT DISTINCT FROM %s",
                           [nonce, known.id, known.nonce])
            moved = cursor.rowcount
    else:
        moved = User.objects.filter(id=known.id, allocation_nonce=known.nonce).update(allocation_nonce=nonce)
    if not moved:
        raise exceptions.WrongAllocationsNonce(nonce, _expected_nonce(user_address))
    return User(id=known.id, address=user_address, allocation_nonce=nonce)


def lock_project_funding(*, epoch: int, projects) -> dict[str, ProjectFunding]:
    """Step 2: the epoch's aggregate rows of `projects` that exist, locked in address order. On PostgreSQL
    one plain statement, the rows with the fields the aggregates' writes use: the ORM's costs Python time
    while other donors of the projects wait."""
    projects = sorted(set(projects))
    if connection.vendor != "postgresql":
        return {f.project_address: f for f in ProjectFunding.objects.select_for_update().filter(
            epoch=epoch, project_address__in=projects).order_by("project_address")}
    columns = "id, project_address, CAST(allocated AS TEXT), sqrt_sum, first_allocation_id, exact, version"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {connection.ops.quote_name(ProjectFunding._meta.db_table)} "
                       f"WHERE epoch = %s AND project_address = ANY(%s) ORDER BY project_address FOR UPDATE",
                       [epoch, projects])
        rows = cursor.fetchall()
    return {address: ProjectFunding(id=row_id, epoch=epoch, project_address=address, allocated=int(allocated),
                                    sqrt_sum=sqrt_sum, first_allocation_id=first, exact=exact, version=version)
            for row_id, address, allocated, sqrt_sum, first, exact, version in rows}


def _add_claimed_sql() -> str:
    """PostgreSQL's statement of `_add_claimed` (parameters: delta, epoch), exact numeric arithmetic in place."""
    return (f"UPDATE {connection.ops.quote_name(EpochFunding._meta.db_table)} "
            f"SET claimed = claimed + %s::numeric, version = version + 1 WHERE epoch = %s")


def _add_claimed(epoch: int, delta: int) -> None:
    """Step 3, last: add `delta` to the epoch's Σ claimed and bump its version, its row locked until commit."""
    if connection.vendor == "postgresql":  # one statement
        with connection.cursor() as cursor:
            cursor.execute(_add_claimed_sql(), [delta, epoch])
            if cursor.rowcount:
                return
    totals = EpochFunding.objects.select_for_update().filter(epoch=epoch).first()
    if totals is None:  # the epoch's first allocation: a concurrent twin may insert it too
        EpochFunding.objects.get_or_create(epoch=epoch)
        totals = EpochFunding.objects.select_for_update().get(epoch=epoch)
    totals.claimed += delta  # in Python: SQLite keeps wei as text
    totals.version += 1
    totals.save()


# --- allocate ---------------------------------------------------------------------------------------------


def allocate(*, user_address: str, allocations: list[tuple[str, int]], nonce: int, signature: str,
             is_manually_edited: bool | None, view: epoch_selectors.ChainView) -> Allocated:
    """Replace the user's allocations of the open window's epoch with a signed new set.

    Checks run in the reference's order (window, empty, nonce, patron, budget, self, validity, duplicates,
    signature), all of them first without any lock: a request that fails one (a forged signature above
    all, the costly check) never waits for or holds the user's row. Then, in one transaction, `_recheck`
    locks the user's row and checks again what a concurrent request can change (nonce, patron mode), so two
    concurrent requests of one user cannot both use a nonce or both spend one budget, and `_write` replaces
    the allocations and updates the aggregates (locks in the order listed above)."""
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
            user, toggles, previous, aggregates = _recheck(user_address, nonce, checked)
            result = _write(user, allocations, nonce=nonce, signature=signature,
                            is_manually_edited=is_manually_edited, now=view.now, checked=checked, toggles=toggles,
                            previous=previous, aggregates=aggregates)
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


def _check(user_address, epoch, allocations, nonce) -> Checked:
    """The checks between the nonce and the signature, without any lock, on what one query reads
    (selectors.allocation_facts); an epoch not indexed yet takes the separate reads."""
    facts = selectors.allocation_facts(epoch=epoch, address=user_address)
    if facts is None:
        known = _known_user(user_address, epoch)
        details = _check_nonce_and_patron(user_address, epoch, nonce, known.nonce, known.budget)
        return Checked(epoch, details, _check_payload(user_address, epoch, allocations, known.budget), known)
    known = KnownUser(facts.user_id, facts.nonce, facts.budget, facts.uq)
    _check_nonce(nonce, known.nonce)
    if known.budget is not None and facts.patron:
        raise exceptions.NotAllowedInPatronMode(user_address)
    projects = _check_payload(user_address, epoch, allocations, known.budget, epoch_projects=facts.projects)
    return Checked(epoch, facts.details, projects, known, facts.snapshot)


def _known_user(address: str, epoch: int) -> KnownUser:
    """What the allocation needs of the user, in one query (two for a user not seen yet)."""
    from django.db.models import OuterRef, Subquery

    row = User.objects.filter(address=address).annotate(
        budget=Subquery(budget_rows(epoch=epoch, address=OuterRef("address")).values("amount")[:1],
                        output_field=WeiModelField()),
        uq=Subquery(UniquenessQuotient.objects.filter(epoch=epoch, user=OuterRef("pk")).values("score")[:1]),
    ).values_list("id", "allocation_nonce", "budget", "uq").first()
    if row:
        return KnownUser(*row)
    return KnownUser(None, None, budget_of(epoch=epoch, address=address), None)


def _check_nonce(nonce: int, current_nonce: int | None) -> None:
    expected = 0 if current_nonce is None else current_nonce + 1
    if nonce != expected:
        raise exceptions.WrongAllocationsNonce(nonce, expected)


def _check_nonce_and_patron(user_address, epoch, nonce, current_nonce, budget):
    _check_nonce(nonce, current_nonce)
    details = epoch_selectors.epoch_details(epoch=epoch)
    if budget is not None and is_patron(address=user_address, at=details.finalized_at):
        raise exceptions.NotAllowedInPatronMode(user_address)
    return details


def _check_payload(user_address, epoch, allocations, budget, *, epoch_projects: list[str] | None = None) -> list[str]:
    """Budget, self-allocation, valid and distinct projects (the reference's order). Returns the epoch's
    projects (read unless given)."""
    if budget is None:
        raise exceptions.BudgetNotFound(user_address, epoch)
    if sum(amount for _, amount in allocations) > budget:
        raise exceptions.RewardsBudgetExceeded()
    if epoch_projects is None:
        epoch_projects = project_addresses(epoch=epoch)
    valid = set(epoch_projects)
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
    return epoch_projects


def _recheck(user_address: str, nonce: int, checked: Checked) -> tuple[
        User, list[dict], list[tuple[int, str, int]], list[engine.ProjectAggregate]]:
    """The locked re-check: lock the user's row by moving the nonce (step 1), then check patron mode again
    (a toggle may have committed since the first check). Returns the user, the patron-mode toggles up to
    the window's close (for this check and the matched rewards), the user's live allocations of the epoch
    as (id, project, amount) and every project's aggregate (unlocked, for the leverage), all read in one
    query once the row is held."""
    user = _lock_user_nonce(user_address, nonce, checked.known)
    toggles, previous, aggregates = selectors.locked_allocation_reads(
        epoch=checked.epoch, user_id=user.id, until=checked.details.finalized_at)
    if user_address in rewards_engine.patrons(toggles, at=checked.details.finalized_at):
        raise exceptions.NotAllowedInPatronMode(user_address)
    return user, toggles, previous, aggregates


def _write(user: User, allocations: list[tuple[str, int]], *, nonce, signature, is_manually_edited, now,
           checked: Checked, toggles: list[dict], previous: list[tuple[int, str, int]],
           aggregates: list[engine.ProjectAggregate]) -> Allocated:
    """The locked write, the user's row held: freeze the UQ, work out the matching pool and simulate the
    leverage on the `aggregates` read with the user's row (as the reference, which locks nothing, reads
    them), then lock the touched projects' aggregates (step 2), withdraw the earlier allocations, store the
    new ones with the request and update the project, donor and epoch aggregates from the locked values
    (step 3 last). The project locks are shared with every donor of the projects, so nothing but the writes
    runs while they are held: on PostgreSQL two statements (`lock_project_funding`, `_write_rows`), then
    the commit."""
    epoch = checked.epoch
    uq, frozen = _uq_to_freeze(user, checked.known.uq)
    touched = sorted({p for _, p, _ in previous} | {p for p, _ in allocations})
    matched = selectors.estimated_matched_rewards(epoch=epoch, now=now, finalized_at=checked.details.finalized_at,
                                                  patron_toggles=toggles, snapshot=checked.snapshot)
    leverage = selectors.allocation_leverage(
        epoch=epoch, previous=[(p, a) for _, p, a in previous], new=allocations, uq=uq, projects=checked.projects,
        matched=matched, address=user.address, aggregates=aggregates)
    request = AllocationRequest(user=user, epoch=epoch, nonce=nonce, signature=signature,
                                is_manually_edited=is_manually_edited, leverage=leverage, timestamp=now)
    funding = lock_project_funding(epoch=epoch, projects=touched)
    if connection.vendor == "postgresql":
        _write_rows(user, allocations, request=request, previous=previous, funding=funding, uq=uq,
                    freeze=not frozen, budget=checked.known.budget)
        return Allocated(epoch=epoch, projects=touched, replaced=bool(previous))
    if not frozen:
        UniquenessQuotient.objects.create(user=user, epoch=epoch, score=str(uq))
    Allocation.objects.filter(id__in=[row_id for row_id, _, _ in previous]).update(deleted_at=timezone.now())
    request.save()
    created = Allocation.objects.bulk_create(
        Allocation(user=user, epoch=epoch, nonce=nonce, project_address=p, amount=a) for p, a in allocations)
    _update_funding(epoch, funding, previous, created, uq)
    _update_donor(epoch, user.address, previous=previous, created=created, budget=checked.known.budget)
    return Allocated(epoch=epoch, projects=touched, replaced=bool(previous))


def _uq_to_freeze(user: User, frozen: str | None) -> tuple[Decimal, bool]:
    """The user's UQ for the epoch (selectors.uq_or_current) and whether it is frozen already: else the
    allocation freezes it. `frozen` was read before the user's row was locked, and stays true under the
    lock: only an allocation of the user freezes it, and a concurrent one would have moved the nonce."""
    return selectors.uq_or_current(frozen, address=user.address), frozen is not None


def _write_rows(user: User, allocations: list[tuple[str, int]], *, request: AllocationRequest, previous, funding,
                uq: Decimal, freeze: bool, budget: int) -> None:
    """The allocation's writes on PostgreSQL in one statement, the rows of step 2 locked already: data-modifying
    CTEs withdraw the earlier allocations, store the request, the new allocations and the frozen UQ, write
    the projects' aggregates and the donor's row (the aggregates' new values worked out here,
    `_funding_changes` as in `_update_funding`, the first allocation ids taken from the inserted
    rows), and last add to the epoch's totals (step 3). The ORM's statements cost several ms of Python per
    allocation, and each statement more is a round trip more while the projects' rows are locked."""
    epoch, now = request.epoch, timezone.now()
    updated, inserted = [], []
    for project, (aggregate, exact, version) in _funding_changes(funding, previous, allocations, uq).items():
        values = (aggregate.allocated, str(aggregate.sqrt_sum), exact, version)
        if project in funding:
            updated.append((funding[project].pk, *values))
        else:
            inserted.append((project, *values))
    q = connection.ops.quote_name
    tables = {model: q(model._meta.db_table) for model in (Allocation, AllocationRequest, UniquenessQuotient,
                                                           ProjectFunding, DonorFunding)}
    parts, params = [], []
    if previous:
        parts.append(f"gone AS (UPDATE {tables[Allocation]} SET deleted_at = %s WHERE id = ANY(%s::bigint[]))")
        params += [now, [row_id for row_id, _, _ in previous]]
    parts.append(
        f"request AS (INSERT INTO {tables[AllocationRequest]} (user_id, epoch, nonce, signature, is_manually_edited, "
        f"leverage, timestamp, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s))")
    params += [user.pk, epoch, request.nonce, request.signature, request.is_manually_edited, request.leverage,
               request.timestamp, now]
    parts.append(
        f"ins AS (INSERT INTO {tables[Allocation]} (user_id, epoch, nonce, project_address, amount, deleted_at, "
        f"created_at) SELECT %s, %s, %s, v.project, v.amount, NULL, %s FROM unnest(%s::varchar[], %s::numeric[]) "
        f"WITH ORDINALITY AS v(project, amount, n) ORDER BY v.n RETURNING id, project_address)")
    params += [user.pk, epoch, request.nonce, now, [p for p, _ in allocations], [a for _, a in allocations]]
    if freeze:
        parts.append(f"uq AS (INSERT INTO {tables[UniquenessQuotient]} (user_id, epoch, score, created_at) "
                     f"VALUES (%s, %s, %s, %s))")
        params += [user.pk, epoch, str(uq), now]
    first = "(SELECT min(i.id) FROM ins i WHERE i.project_address = {})"
    if updated:
        parts.append(
            f"funding AS (UPDATE {tables[ProjectFunding]} f SET allocated = v.allocated, sqrt_sum = v.sqrt_sum, "
            f"exact = v.exact, version = v.version, "
            f"first_allocation_id = COALESCE(f.first_allocation_id, {first.format('f.project_address')}) "
            f"FROM unnest(%s::bigint[], %s::numeric[], %s::varchar[], %s::boolean[], %s::bigint[]) "
            f"AS v(id, allocated, sqrt_sum, exact, version) WHERE f.id = v.id)")
        params += [list(column) for column in zip(*updated)]
    if inserted:
        parts.append(
            f"new_funding AS (INSERT INTO {tables[ProjectFunding]} (epoch, project_address, allocated, sqrt_sum, "
            f"first_allocation_id, exact, version, broadcast_version) SELECT %s, v.project, v.allocated, "
            f"v.sqrt_sum, {first.format('v.project')}, v.exact, v.version, 0 "
            f"FROM unnest(%s::varchar[], %s::numeric[], %s::varchar[], %s::boolean[], %s::bigint[]) "
            f"AS v(project, allocated, sqrt_sum, exact, version))")
        params += [epoch, *(list(column) for column in zip(*inserted))]
    allocated = sum(amount for _, amount in allocations)
    claimed_before, claimed_after = _claimed(budget, previous), max(budget - allocated, 0)
    if previous:
        parts.append(f"donor AS (UPDATE {tables[DonorFunding]} SET allocated = %s, claimed = %s, "
                     f"first_allocation_id = (SELECT min(id) FROM ins) WHERE epoch = %s AND address = %s)")
        params += [allocated, claimed_after, epoch, user.address]
    else:
        parts.append(f"donor AS (INSERT INTO {tables[DonorFunding]} (epoch, address, allocated, claimed, "
                     f"first_allocation_id) SELECT %s, %s, %s, %s, min(id) FROM ins)")
        params += [epoch, user.address, allocated, claimed_after]
    delta = claimed_after - claimed_before
    totals = not inserted  # (a new project's row waits on a twin's insert: then the totals follow apart)
    if totals:  # step 3's last write in this statement: the projects' rows are locked already
        parts.append(f"totals AS ({_add_claimed_sql()} RETURNING 1)")
        params += [delta, epoch]
    with connection.cursor() as cursor:
        cursor.execute("WITH " + ", ".join(parts) + (" SELECT count(*) FROM totals" if totals else " SELECT 0"),
                       params)
        if totals and cursor.fetchone()[0]:
            return
    _add_claimed(epoch, delta)  # (no totals row yet: the epoch's first allocation)


def _claimed(budget: int, previous) -> int:
    """What the donor left unallocated of their budget with the allocations `previous` (0 without any)."""
    return max(budget - sum(amount for _, _, amount in previous), 0) if previous else 0


def patron_mode_toggle(*, address: str, signature: str, view: epoch_selectors.ChainView) -> bool:
    """Switch patron mode (EIP-191 signed). While an allocation window is open, the user's allocations of
    that epoch are withdrawn in the same transaction: a patron's budget goes to the matching pool. Returns
    the new status."""
    with transaction.atomic():
        locked_user(address)
        enable = not is_patron(address=address)
        verify_signed(address, signatures.patron_mode_message(address, enable=enable), signature)
        PatronEvent.objects.create(address=address, enabled=enable, timestamp=view.now)
        if view.pending is not None:
            allocations_revoke(address=address, epoch=view.pending, view=view)
    return enable


def allocations_revoke(*, address: str, epoch: int, view: epoch_selectors.ChainView) -> int:
    """Withdraw the user's live allocations of `epoch` (patron mode switched on during the window); the
    aggregates follow in the same transaction, the rows locked in the order above. Returns how many rows
    were withdrawn."""
    with transaction.atomic():
        user = locked_user(address, create=False)  # step 1 (patron_mode_toggle holds it already)
        if user is None:
            return 0
        previous = list(selectors.live_allocations(epoch=epoch).filter(user=user).values_list(
            "id", "project_address", "amount"))
        if not previous:
            return 0
        uq = Decimal(UniquenessQuotient.objects.get(user=user, epoch=epoch).score)
        touched = sorted({p for _, p, _ in previous})
        funding = lock_project_funding(epoch=epoch, projects=touched)
        Allocation.objects.filter(id__in=[row_id for row_id, _, _ in previous]).update(deleted_at=timezone.now())
        _update_funding(epoch, funding, previous, [], uq)
        _update_donor(epoch, address, previous=previous, created=[], budget=budget_of(epoch=epoch, address=address) or 0)
        result = Allocated(epoch=epoch, projects=touched)
    transaction.on_commit(lambda: _after_commit(result, view=view))
    return len(previous)


def _funding_changes(funding: dict[str, ProjectFunding], previous, added: list[tuple[str, int]],
                     uq) -> dict[str, tuple[engine.ProjectAggregate, bool, int]]:
    """Every changed project's new aggregate, exactness and version, from the locked rows `funding` (a
    project without a row starts at zero): engine.apply_allocation_change, the rule the simulation applies
    too, with the `previous` allocations (id, project, amount) withdrawn and `added` ones put in; a
    withdrawal leaves its project inexact until the rebuild."""
    current = {p: engine.ProjectAggregate(p, row.allocated, Decimal(row.sqrt_sum)) for p, row in funding.items()}
    changed = engine.apply_allocation_change(current, removed=[(p, a) for _, p, a in previous], added=added, uq=uq)
    withdrawn = {p for _, p, _ in previous}
    result = {}
    for project, aggregate in changed.items():
        row = funding.get(project)
        exact = (row.exact if row is not None else True) and project not in withdrawn
        result[project] = (aggregate, exact, (row.version if row is not None else 0) + 1)
    return result


def _update_funding(epoch, funding: dict[str, ProjectFunding], previous, created, uq) -> None:
    """Apply the change to the locked project rows (`_funding_changes`) and write them."""
    first_ids = {}
    for allocation in created:
        first_ids.setdefault(allocation.project_address, allocation.id)
    changes = _funding_changes(funding, previous, [(a.project_address, a.amount) for a in created], uq)
    for project, (aggregate, exact, version) in changes.items():
        row = funding.get(project)
        if row is None:
            row = funding[project] = ProjectFunding(epoch=epoch, project_address=project)
        row.allocated, row.sqrt_sum, row.exact, row.version = aggregate.allocated, str(aggregate.sqrt_sum), exact, version
        if row.first_allocation_id is None and project in first_ids:
            row.first_allocation_id = first_ids[project]
    _save_funding([row for row in funding.values() if row.pk is not None])
    ProjectFunding.objects.bulk_create([row for row in funding.values() if row.pk is None])


def _save_funding(rows: list[ProjectFunding]) -> None:
    """Write the changed aggregate rows back. broadcast_version is the broadcaster's, written without these
    rows' lock: it is not among the fields. On PostgreSQL one UPDATE ... FROM (VALUES ...): bulk_update's
    CASE expressions cost about 40 ms of Python for a 10-project allocation."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        ProjectFunding.objects.bulk_update(rows, ["allocated", "sqrt_sum", "first_allocation_id", "exact", "version"])
        return
    table = ProjectFunding._meta.db_table
    values = ", ".join(["(%s::bigint, %s::numeric, %s, %s::bigint, %s::boolean, %s::bigint)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS f SET allocated = v.allocated, sqrt_sum = v.sqrt_sum, "
            f"first_allocation_id = v.first_id, exact = v.exact, version = v.version "
            f"FROM (VALUES {values}) AS v(id, allocated, sqrt_sum, first_id, exact, version) WHERE f.id = v.id",
            [value for row in rows for value in (row.pk, str(row.allocated), row.sqrt_sum, row.first_allocation_id,
                                                 row.exact, row.version)])


def _update_donor(epoch, address, *, previous, created, budget: int) -> None:
    """Keep the donor's row and the epoch's Σ claimed equal to what the live allocations give: one write
    for the donor (under the user's lock), then one for the epoch's totals (step 3)."""
    claimed_before = _claimed(budget, previous)
    claimed_after = 0
    rows = DonorFunding.objects.filter(epoch=epoch, address=address)
    if created:
        allocated = sum(a.amount for a in created)
        claimed_after = max(budget - allocated, 0)
        values = {"allocated": allocated, "claimed": claimed_after, "first_allocation_id": min(a.id for a in created)}
        if not previous:
            DonorFunding.objects.create(epoch=epoch, address=address, **values)
        else:
            rows.update(**values)
    elif previous:
        rows.delete()
    _add_claimed(epoch, claimed_after - claimed_before)


def donor_funding_rebuild(*, epoch: int) -> int:
    """Recompute the epoch's donor rows and totals from its live allocations (data loaded in bulk,
    deployments from before the rows existed). Returns how many donors it has."""
    return rebuild_donor_funding(epoch, Allocation=Allocation, Budget=Budget, DonorFunding=DonorFunding,
                                 EpochFunding=EpochFunding)


def rebuild_donor_funding(epoch, *, Allocation, Budget, DonorFunding, EpochFunding) -> int:
    """donor_funding_rebuild with the models given (the migration passes its historical ones)."""
    from django.db.models import Min

    with transaction.atomic():
        sums = Allocation.objects.filter(epoch=epoch, deleted_at__isnull=True).values("user__address").annotate(
            first=Min("id")).order_by("first").values_list("user__address", "first")
        budgets = dict(Budget.objects.filter(epoch=epoch).values_list("address", "amount"))
        # summed in Python: exact on every database
        exact = {}
        for address, amount in Allocation.objects.filter(epoch=epoch, deleted_at__isnull=True).values_list(
                "user__address", "amount").iterator(chunk_size=20_000):
            exact[address] = exact.get(address, 0) + int(amount)
        rows = [DonorFunding(epoch=epoch, address=address, allocated=exact[address],
                             claimed=max(budgets.get(address, 0) - exact[address], 0), first_allocation_id=first)
                for address, first in sums]
        DonorFunding.objects.filter(epoch=epoch).delete()
        DonorFunding.objects.bulk_create(rows, batch_size=5_000)
        version = EpochFunding.objects.filter(epoch=epoch).values_list("version", flat=True).first() or 0
        EpochFunding.objects.update_or_create(epoch=epoch, defaults={
            "claimed": sum(r.claimed for r in rows), "version": version + 1})
    return len(rows)


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
    if ProjectFunding.objects.filter(epoch=epoch, exact=False).exists():
        queued["rebuild"] = enqueue_once(tasks.project_funding_rebuild_task, epoch)
    if realtime.layer_is_shared() and ProjectFunding.objects.filter(epoch=epoch).exclude(
            version=F("broadcast_version")).exists():  # (the in-memory layer reaches no worker's clients)
        queued["broadcast"] = enqueue_once(tasks.broadcast_changes_task, epoch)
    return queued


def project_funding_rebuild(*, epoch: int) -> int:
    """Recompute the inexact aggregates of `epoch` from the live allocations, in allocation order, exactly
    as the full computation sums them. Returns how many projects were rebuilt.

    Each project's allocations are read with no lock held (a read takes ~0.1 s at 10,000 donors, and an
    allocation must not wait for it); the result is written only if the row's version is the one seen
    before the read. Otherwise an allocation changed the project meanwhile and the row stays inexact: that
    allocation's own after-commit hook schedules the next rebuild."""
    rebuilt = 0
    for project, version in ProjectFunding.objects.filter(epoch=epoch, exact=False).values_list(
            "project_address", "version"):
        rows = selectors.project_allocation_terms(epoch=epoch, project=project)
        aggregate = engine.aggregate_allocations(rows)
        with transaction.atomic():
            row = ProjectFunding.objects.select_for_update().get(epoch=epoch, project_address=project)
            if row.version != version:
                continue
            row.allocated = aggregate[0].allocated if aggregate else 0
            row.sqrt_sum = str(aggregate[0].sqrt_sum) if aggregate else "0"
            row.first_allocation_id = rows[0]["id"] if rows else None
            row.exact = True
            row.save(update_fields=["allocated", "sqrt_sum", "first_allocation_id", "exact"])
            rebuilt += 1
    return rebuilt
