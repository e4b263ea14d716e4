"""The funding store: the running aggregates of an epoch's live allocations, written in the transaction of
every change so that the live estimates cost O(projects) (allocations.models: ProjectFunding per project,
DonorFunding per donor, EpochFunding per epoch), and every write of them:

    move_nonce      step 1 of an allocation: the user's row
    locked_reads    what an allocation reads once it holds that row
    write           steps 2 and 3: one change of a user's allocations, with the aggregates it moves
    project_funding_rebuild, donor_funding_rebuild      the exact recomputations
    unsent, record_sent, inexact                        what the broadcaster and the beat tick look for

Row locks. Every writer of a user's allocations takes them in this order, so that two writers never wait
for each other in a cycle:
  1. the user's row (`move_nonce`; a withdrawal: users.services.locked_user);
  2. the touched projects' aggregates, by address (`lock_projects`);
  3. the donor's row, then the epoch's totals, in the one statement of the change's writes (`write`).
The exact rebuild takes locks of step 2 only, one project at a time; `record_sent` skips locked rows."""
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Min, Sum
from django.utils import timezone

from deposits.models import Budget
from users.models import User
from users.selectors import patron_toggles_sql

from . import engine, selectors
from .models import Allocation, AllocationRequest, DonorFunding, EpochFunding, ProjectFunding, UniquenessQuotient


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# --- step 1 and the reads under its lock --------------------------------------------------------------


def move_nonce(*, address: str, user_id: int | None, last: int | None, nonce: int) -> User | None:
    """Step 1 of an allocation: move the user's nonce to `nonce` only if it is still `last` (what the checks
    read), which locks the user's row: a concurrent request of the same user waits here, then finds the
    nonce moved (None). A new user's row (`user_id` None) is inserted (a concurrent twin's: IntegrityError).
    One plain statement: the ORM's costs ~0.5 ms of Python."""
    if user_id is None:
        return User.objects.create(address=address, allocation_nonce=nonce)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_table(User)} SET allocation_nonce = %s "
                       f"WHERE id = %s AND allocation_nonce IS NOT DISTINCT FROM %s", [nonce, user_id, last])
        if not cursor.rowcount:
            return None
    return User(id=user_id, address=address, allocation_nonce=nonce)


@dataclass(frozen=True)
class Locked:
    """What an allocation reads once it holds the user's row (`locked_reads`)."""

    toggles: list[dict]  # every patron-mode toggle up to the window's close (users.selectors.patron_toggles)
    previous: list[tuple[int, str, int]]  # the user's live allocations of the epoch: (id, project, amount)
    aggregates: list[engine.ProjectAggregate]  # every project's, unlocked, as selectors.funding_aggregates
    existing: frozenset[str]  # the projects that have an aggregate row


def locked_reads(*, epoch: int, user_id: int, until: int) -> Locked:
    """The reads of an allocation that holds the user's row, in one statement: the patron-mode toggles up
    to chain time `until`, the user's live allocations of `epoch` in id order and the projects' aggregate
    rows as they stand, unlocked (the leverage simulation reads them; first-allocation order)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 0, NULL, NULL, NULL, NULL, (SELECT json_agg(t) FROM ({patron_toggles_sql()}) t) "
            f"UNION ALL SELECT 1, id, project_address, CAST(amount AS TEXT), NULL, NULL FROM {_table(Allocation)} "
            f"WHERE epoch = %s AND user_id = %s AND deleted_at IS NULL "
            f"UNION ALL SELECT 2, first_allocation_id, project_address, CAST(allocated AS TEXT), sqrt_sum, NULL "
            f"FROM {_table(ProjectFunding)} WHERE epoch = %s ORDER BY 1, 2",
            [until, epoch, user_id, epoch])
        rows = cursor.fetchall()
    return Locked(
        toggles=rows[0][5] or [],
        previous=[(row_id, project, int(amount)) for kind, row_id, project, amount, _, _ in rows if kind == 1],
        aggregates=[engine.ProjectAggregate(project, int(allocated), Decimal(sqrt_sum))
                    for kind, first, project, allocated, sqrt_sum, _ in rows if kind == 2 and first is not None],
        existing=frozenset(project for kind, _, project, _, _, _ in rows if kind == 2))


# --- steps 2 and 3: the one write -------------------------------------------------------------------------

_COLUMNS = "id, project_address, CAST(allocated AS TEXT), sqrt_sum, first_allocation_id, exact, version"


def lock_projects(*, epoch: int, projects, create: bool = False) -> dict[str, ProjectFunding]:
    """Step 2: the epoch's aggregate rows of `projects`, locked in address order, by address, in one plain
    statement (the ORM's rows cost Python time while other donors of the projects wait). With `create`,
    a project without a row gets one, at zero, in the same ordered pass (a row another writer inserted
    meanwhile is waited for and locked as it stands); without, only the existing rows are returned."""
    projects = sorted(set(projects))
    if create:  # (DO UPDATE, a no-op, is what locks and returns a row that exists)
        sql = (f"INSERT INTO {_table(ProjectFunding)} AS f (epoch, project_address, allocated, sqrt_sum, exact, "
               f"version, broadcast_version) SELECT %s, p, 0, '0', true, 0, 0 FROM unnest(%s::varchar[]) AS p "
               f"ORDER BY p ON CONFLICT (epoch, project_address) DO UPDATE SET version = f.version "
               f"RETURNING {_COLUMNS}")
    else:
        sql = (f"SELECT {_COLUMNS} FROM {_table(ProjectFunding)} WHERE epoch = %s AND project_address = ANY(%s) "
               f"ORDER BY project_address FOR UPDATE")
    with connection.cursor() as cursor:
        cursor.execute(sql, [epoch, projects])
        rows = sorted(cursor.fetchall(), key=lambda row: row[1])
    return {address: ProjectFunding(id=row_id, epoch=epoch, project_address=address, allocated=int(allocated),
                                    sqrt_sum=sqrt_sum, first_allocation_id=first, exact=exact, version=version)
            for row_id, address, allocated, sqrt_sum, first, exact, version in rows}


@dataclass(frozen=True)
class Change:
    """One change of a user's allocations in an epoch, for `write`."""

    epoch: int
    user: User
    previous: list[tuple[int, str, int]]  # the live allocations it withdraws: (id, project, amount)
    added: list[tuple[str, int]]  # the new allocations, in payload order (none: a withdrawal)
    uq: Decimal  # the user's UQ in the epoch
    budget: int  # the user's budget in the epoch
    request: AllocationRequest | None = None  # stored with the new allocations (their nonce)
    freeze: bool = False  # whether the change freezes the UQ (the user's first allocation in the epoch)


def write(change: Change, *, existing: frozenset[str] = frozenset()) -> list[str]:
    """Steps 2 and 3 of a change, the user's row held (step 1): lock the touched projects' rows (those
    missing from `existing`, the projects known to have one, are created in that pass), then one statement
    of data-modifying CTEs withdraws the `previous` allocations, stores the request, the new allocations
    and the frozen UQ, writes the projects' new aggregates (`_funding_changes`, the first allocation ids
    taken from the inserted rows), the donor's row and the epoch's totals: each statement more would be a
    round trip more while other donors wait for the projects' rows. Returns the touched projects."""
    epoch, user, now = change.epoch, change.user, timezone.now()
    touched = sorted({p for _, p, _ in change.previous} | {p for p, _ in change.added})
    funding = lock_projects(epoch=epoch, projects=touched, create=not existing.issuperset(touched))
    changed = _funding_changes(funding, change.previous, change.added, change.uq)
    request, allocated = change.request, sum(amount for _, amount in change.added)
    claimed = _claimed(change.budget, allocated) if change.added else 0
    claimed_before = _claimed(change.budget, sum(a for _, _, a in change.previous)) if change.previous else 0
    parts = [f"gone AS (UPDATE {_table(Allocation)} SET deleted_at = %s WHERE id = ANY(%s::bigint[]))"]
    params = [now, [row_id for row_id, _, _ in change.previous]]
    if request:
        parts.append(f"request AS (INSERT INTO {_table(AllocationRequest)} (user_id, epoch, nonce, signature, "
                     f"is_manually_edited, leverage, timestamp, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s))")
        params += [user.pk, epoch, request.nonce, request.signature, request.is_manually_edited, request.leverage,
                   request.timestamp, now]
    parts.append(
        f"ins AS (INSERT INTO {_table(Allocation)} (user_id, epoch, nonce, project_address, amount, deleted_at, "
        f"created_at) SELECT %s, %s, %s, v.project, v.amount, NULL, %s FROM unnest(%s::varchar[], %s::numeric[]) "
        f"WITH ORDINALITY AS v(project, amount, n) ORDER BY v.n RETURNING id, project_address)")
    params += [user.pk, epoch, request and request.nonce, now, [p for p, _ in change.added],
               [a for _, a in change.added]]
    if change.freeze:
        parts.append(f"uq AS (INSERT INTO {_table(UniquenessQuotient)} (user_id, epoch, score, created_at) "
                     f"VALUES (%s, %s, %s, %s))")
        params += [user.pk, epoch, str(change.uq), now]
    parts.append(
        f"funding AS (UPDATE {_table(ProjectFunding)} f SET allocated = v.allocated, sqrt_sum = v.sqrt_sum, "
        f"exact = v.exact, version = v.version, first_allocation_id = COALESCE(f.first_allocation_id, "
        f"(SELECT min(i.id) FROM ins i WHERE i.project_address = f.project_address)) "
        f"FROM unnest(%s::bigint[], %s::numeric[], %s::varchar[], %s::boolean[], %s::bigint[]) "
        f"AS v(id, allocated, sqrt_sum, exact, version) WHERE f.id = v.id)")
    params += [[funding[p].pk for p in changed], *(list(column) for column in zip(*changed.values()))]
    if change.added:
        parts.append(f"donor AS (INSERT INTO {_table(DonorFunding)} (epoch, address, allocated, claimed, "
                     f"first_allocation_id) SELECT %s, %s, %s, %s, min(id) FROM ins ON CONFLICT (epoch, address) "
                     f"DO UPDATE SET allocated = EXCLUDED.allocated, claimed = EXCLUDED.claimed, "
                     f"first_allocation_id = EXCLUDED.first_allocation_id)")
        params += [epoch, user.address, allocated, claimed]
    else:
        parts.append(f"donor AS (DELETE FROM {_table(DonorFunding)} WHERE epoch = %s AND address = %s)")
        params += [epoch, user.address]
    parts.append(f"totals AS (INSERT INTO {_table(EpochFunding)} AS e (epoch, claimed, version) "
                 f"VALUES (%s, %s::numeric, 1) ON CONFLICT (epoch) "
                 f"DO UPDATE SET claimed = e.claimed + EXCLUDED.claimed, version = e.version + 1)")
    params += [epoch, claimed - claimed_before]
    with connection.cursor() as cursor:
        cursor.execute("WITH " + ", ".join(parts) + " SELECT 1", params)
    return touched


def _claimed(budget: int, allocated: int) -> int:
    """What a donor who allocated `allocated` leaves unallocated of their budget (docs/rewards.md §3.9)."""
    return max(budget - allocated, 0)


def _funding_changes(funding: dict[str, ProjectFunding], previous, added: list[tuple[str, int]],
                     uq) -> dict[str, tuple[int, str, bool, int]]:
    """Every changed project's new (allocated, sqrt_sum, exact, version) from its locked row in `funding`:
    engine.apply_allocation_change, the rule the simulation applies too, with the `previous` allocations
    (id, project, amount) withdrawn and the `added` ones put in. A withdrawal leaves its project inexact
    until the rebuild."""
    current = {p: engine.ProjectAggregate(p, row.allocated, Decimal(row.sqrt_sum)) for p, row in funding.items()}
    changed = engine.apply_allocation_change(current, removed=[(p, a) for _, p, a in previous], added=added, uq=uq)
    withdrawn = {p for _, p, _ in previous}
    return {p: (a.allocated, str(a.sqrt_sum), funding[p].exact and p not in withdrawn, funding[p].version + 1)
            for p, a in changed.items()}


# --- the exact rebuilds -----------------------------------------------------------------------------------


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


def donor_funding_rebuild(*, epoch: int) -> int:
    """Recompute the epoch's donor rows and totals from its live allocations (data loaded in bulk,
    deployments from before the rows existed). Returns how many donors it has."""
    return rebuild_donor_funding(epoch, Allocation=Allocation, Budget=Budget, DonorFunding=DonorFunding,
                                 EpochFunding=EpochFunding)


def rebuild_donor_funding(epoch, *, Allocation, Budget, DonorFunding, EpochFunding) -> int:
    """donor_funding_rebuild with the models given (the migration passes its historical ones)."""
    with transaction.atomic():
        sums = Allocation.objects.filter(epoch=epoch, deleted_at__isnull=True).values("user__address").annotate(
            first=Min("id"), total=Sum("amount")).order_by("first").values_list("user__address", "first", "total")
        budgets = dict(Budget.objects.filter(epoch=epoch).values_list("address", "amount"))
        rows = [DonorFunding(epoch=epoch, address=address, allocated=int(total),
                             claimed=_claimed(int(budgets.get(address, 0)), int(total)), first_allocation_id=first)
                for address, first, total in sums]
        DonorFunding.objects.filter(epoch=epoch).delete()
        DonorFunding.objects.bulk_create(rows, batch_size=5_000)
        version = EpochFunding.objects.filter(epoch=epoch).values_list("version", flat=True).first() or 0
        EpochFunding.objects.update_or_create(epoch=epoch, defaults={
            "claimed": sum(r.claimed for r in rows), "version": version + 1})
    return len(rows)


# --- what is left to do: rebuilds, broadcasts -------------------------------------------------------------


def inexact(*, epoch: int) -> bool:
    """Whether some aggregate of `epoch` waits for its rebuild."""
    return ProjectFunding.objects.filter(epoch=epoch, exact=False).exists()


def unsent(*, epoch: int) -> dict[str, int]:
    """{project: version} of the projects of `epoch` changed since their last broadcast."""
    return dict(ProjectFunding.objects.filter(epoch=epoch).exclude(version=F("broadcast_version")).values_list(
        "project_address", "version"))


def record_sent(*, epoch: int, sent: dict[str, int]) -> None:
    """Note the versions broadcast (`unsent`'s). A newer version stays unsent (its change scheduled another
    broadcast). Rows locked right now are skipped, never waited for: an allocation holding one is changing
    it (its own broadcast follows), and a rebuild's lock is brief (the project goes out again with the next
    broadcast, the beat tick's at the latest). Waiting instead queued the broadcast behind every allocation
    in flight, and taking several row locks in one statement could deadlock with an allocation taking
    them. One plain statement: the ORM's CASE over 100 projects cost about 100 ms of Python a broadcast."""
    with transaction.atomic():
        free = list(ProjectFunding.objects.select_for_update(skip_locked=True).filter(
            epoch=epoch, project_address__in=list(sent)).values_list("project_address", flat=True))
        if not free:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {_table(ProjectFunding)} AS f SET broadcast_version = v.version "
                f"FROM unnest(%s::varchar[], %s::bigint[]) AS v(address, version) WHERE f.epoch = %s "
                "AND f.project_address = v.address AND f.broadcast_version < v.version",
                [free, [sent[project] for project in free], epoch])
