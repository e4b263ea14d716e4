"""The funding store: the running aggregates of an epoch's live allocations, written in the transaction of
every change so that the live estimates cost O(projects) (allocations.models: ProjectFunding per project,
DonorFunding per donor, EpochFunding per epoch), and every write of them:

    move_nonce      step 1 of an allocation: the user's row
    locked_reads    what an allocation reads once it holds that row (missing or inexact aggregates rebuilt)
    lock_open_window   step 2: the epoch's totals, and the window checked again under that lock
    write           steps 2 to 4: one change of a user's allocations, with the aggregates it moves
    epoch_funding_rebuild   every aggregate of an epoch, exact (the `funding_rebuild` command, bulk loads)
    project_funding_rebuild, donor_funding_rebuild      the exact recomputations of a part
    unsent, record_sent, inexact                        what the broadcaster and the beat tick look for

Aggregates are never assumed. An allocation checks, under the user's row, that the aggregates it moves are
there and agree with the allocations (the epoch's totals exist if it has live allocations, the user's donor
row matches their live allocations, every project it touches that has live allocations has its row); if
not (allocations loaded in bulk without the rebuild), it rebuilds every aggregate of the epoch first.

Row locks. Every writer of a user's allocations takes them in this order, so that two writers never wait
for each other in a cycle:
  1. the user's row (`move_nonce`; a withdrawal or a patron-mode toggle: users.services.locked_user);
  2. the epoch's totals (`lock_open_window`): the lock the finalized snapshot takes too
     (lifecycle.snapshots.finalized_snapshot_take), so an allocation either commits before the snapshot
     reads the allocations or finds the snapshot taken and is refused (the window is closed);
  3. the touched projects' aggregates, by address (`lock_projects`);
  4. the donor's row, in the one statement of the change's writes (`write`).
The rebuild of every aggregate takes 2, 3 and 4 in that order; the exact rebuild of the inexact projects takes
locks of step 3 only, one project at a time; `record_sent` skips locked rows."""
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Min, Sum
from django.utils import timezone

from deposits.models import Budget
from octant.core.exceptions import AllocationWindowClosed
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


def locked_reads(*, epoch: int, user_id: int, address: str, until: int, projects: list[str]) -> Locked:
    """The reads of an allocation that holds the user's row, in one statement: the patron-mode toggles up
    to chain time `until`, the user's live allocations of `epoch` in id order, the projects' aggregate
    rows as they stand, unlocked (the leverage simulation reads them; first-allocation order), and whether
    the aggregates the allocation moves (of `projects`, the user's and the epoch's) can be trusted
    (`_aggregates_sql`); if not, every aggregate of the epoch is rebuilt and the reads are made again."""
    health, health_params = _aggregates_sql(epoch=epoch, user_id=user_id, address=address, projects=projects)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 0, NULL, NULL, NULL, NULL, (SELECT json_agg(t) FROM ({patron_toggles_sql()}) t) "
            f"UNION ALL SELECT 1, id, project_address, CAST(amount AS TEXT), NULL, NULL FROM {_table(Allocation)} "
            f"WHERE epoch = %s AND user_id = %s AND deleted_at IS NULL "
            f"UNION ALL SELECT 2, first_allocation_id, project_address, CAST(allocated AS TEXT), sqrt_sum, NULL "
            f"FROM {_table(ProjectFunding)} WHERE epoch = %s "
            f"UNION ALL SELECT 3, NULL, NULL, NULL, NULL, ({health}) ORDER BY 1, 2",
            [until, epoch, user_id, epoch, *health_params])
        rows = cursor.fetchall()
    previous = [(row_id, project, int(amount)) for kind, row_id, project, amount, _, _ in rows if kind == 1]
    if not _trustworthy(rows[-1][5], previous):
        epoch_funding_rebuild(epoch=epoch)
        return locked_reads(epoch=epoch, user_id=user_id, address=address, until=until, projects=projects)
    return Locked(
        toggles=rows[0][5] or [],
        previous=previous,
        aggregates=[engine.ProjectAggregate(project, int(allocated), Decimal(sqrt_sum))
                    for kind, first, project, allocated, sqrt_sum, _ in rows if kind == 2 and first is not None],
        existing=frozenset(project for kind, _, project, _, _, _ in rows if kind == 2))


def _aggregates_sql(*, epoch: int, user_id: int, address: str, projects: list[str]) -> tuple[str, list]:
    """A query of one JSON value telling whether the aggregates a change of the user's allocations moves
    can be trusted: [the epoch's totals exist, the epoch has live allocations, the user's donor row's
    `allocated` (null: none), some project among `projects` and the user's has live allocations but no
    row]. Each part is an index lookup: the projects are checked one by one."""
    sql = (f"SELECT json_build_array("
           f"EXISTS (SELECT 1 FROM {_table(EpochFunding)} WHERE epoch = %s), "
           f"EXISTS (SELECT 1 FROM {_table(Allocation)} WHERE epoch = %s AND deleted_at IS NULL), "
           f"(SELECT CAST(allocated AS TEXT) FROM {_table(DonorFunding)} WHERE epoch = %s AND address = %s), "
           f"EXISTS (SELECT 1 FROM (SELECT unnest(%s::varchar[]) AS p UNION SELECT project_address "
           f"FROM {_table(Allocation)} WHERE epoch = %s AND user_id = %s AND deleted_at IS NULL) t "
           f"WHERE NOT EXISTS (SELECT 1 FROM {_table(ProjectFunding)} f WHERE f.epoch = %s "
           f"AND f.project_address = t.p) "
           f"AND EXISTS (SELECT 1 FROM {_table(Allocation)} a WHERE a.epoch = %s AND a.project_address = t.p "
           f"AND a.deleted_at IS NULL)))")
    return sql, [epoch, epoch, epoch, address, list(projects), epoch, user_id, epoch, epoch]


def _trustworthy(health: list, previous: list[tuple[int, str, int]]) -> bool:
    totals, live, donor, unfunded = health
    if unfunded or (live and not totals):
        return False
    if previous:
        return donor is not None and int(donor) == sum(amount for _, _, amount in previous)
    return donor is None


def trusted_aggregates(*, epoch: int, user_id: int, address: str, previous: list[tuple[int, str, int]]) -> None:
    """For a change that does not go through `locked_reads` (a withdrawal), the user's row held: the same
    check, and the rebuild of every aggregate of the epoch if they cannot be trusted."""
    sql, params = _aggregates_sql(epoch=epoch, user_id=user_id, address=address, projects=[])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        health = cursor.fetchone()[0]
    if not _trustworthy(health, previous):
        epoch_funding_rebuild(epoch=epoch)


# --- step 2: the epoch's totals, the window's close --------------------------------------------------------


def lock_totals(*, epoch: int, trusted: bool = False) -> bool:
    """The epoch's totals row, locked for the rest of the transaction; returns its `finalized` flag as it
    stands once the lock is held (a finalized snapshot that committed while this waited is seen: the row
    a locking statement returns is the latest version). An epoch without a row gets one, at zero, if it has
    no live allocations (its first allocation). `trusted`: the caller knows the aggregates are there (an
    allocation's `locked_reads`): one statement. Otherwise an epoch with live allocations but no totals
    (loaded in bulk without the rebuild) has every aggregate rebuilt first."""
    if not trusted:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT finalized FROM {_table(EpochFunding)} WHERE epoch = %s FOR UPDATE", [epoch])
            row = cursor.fetchone()
        if row:
            return row[0]
        if selectors.live_allocations(epoch=epoch).exists():
            epoch_funding_rebuild(epoch=epoch)
    return _lock_or_insert_totals(epoch)


def _lock_or_insert_totals(epoch: int) -> bool:
    with connection.cursor() as cursor:  # (DO UPDATE, a no-op, is what locks a row that exists)
        cursor.execute(f"INSERT INTO {_table(EpochFunding)} AS e (epoch, claimed, version, finalized) "
                       f"VALUES (%s, 0, 0, false) ON CONFLICT (epoch) DO UPDATE SET version = e.version "
                       f"RETURNING finalized", [epoch])
        return cursor.fetchone()[0]


def lock_open_window(*, epoch: int, trusted: bool = False) -> None:
    """Step 2 of a change of allocations (or patrons) in `epoch`'s window: its totals locked
    (`lock_totals`), and the window checked again under that lock. The finalized snapshot takes the same
    lock before it reads the allocations and marks the totals finalized before it commits, so a change
    either commits before that read (and counts) or waits for the snapshot and is refused here
    (AllocationWindowClosed), however long ago its request found the window open."""
    if lock_totals(epoch=epoch, trusted=trusted):
        raise AllocationWindowClosed()


def mark_finalized(*, epoch: int) -> None:
    """The finalized snapshot of `epoch` is being stored (its transaction holds the totals' lock):
    changes of the window's allocations are refused from its commit on (`lock_open_window`)."""
    EpochFunding.objects.filter(epoch=epoch).update(finalized=True)


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
    """Steps 2 to 4 of a change, the user's row held (step 1) and its aggregates trusted (`locked_reads`,
    `trusted_aggregates`): lock the epoch's totals and check the window again (`lock_open_window`; a
    change the finalized snapshot has missed is refused), lock the touched projects' rows (those
    missing from `existing`, the projects known to have one, are created in that pass), then one statement
    of data-modifying CTEs withdraws the `previous` allocations, stores the request, the new allocations
    and the frozen UQ, writes the projects' new aggregates (`_funding_changes`, the first allocation ids
    taken from the inserted rows), the donor's row and the epoch's totals: each statement more would be a
    round trip more while other donors wait for the projects' rows. Returns the touched projects."""
    epoch, user, now = change.epoch, change.user, timezone.now()
    touched = sorted({p for _, p, _ in change.previous} | {p for p, _ in change.added})
    lock_open_window(epoch=epoch, trusted=True)
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
    parts.append(f"totals AS (UPDATE {_table(EpochFunding)} SET claimed = claimed + %s::numeric, "
                 f"version = version + 1 WHERE epoch = %s)")  # (its row locked in step 2)
    params += [claimed - claimed_before, epoch]
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


def epoch_funding_rebuild(*, epoch: int) -> dict[str, int]:
    """Every aggregate of `epoch` recomputed from its live allocations, in one transaction that holds the
    epoch's totals first (lock step 2: no change of the epoch's allocations commits meanwhile): each
    project's (a missing row created, every row exact; projects without live allocations at zero), each
    donor's and the totals. For data loaded in bulk (`manage.py funding_rebuild`, bench/_data.py) and for an
    allocation that finds its aggregates missing or wrong (`locked_reads`). The allocations are read once,
    streamed in allocation order. Returns how many projects and donors have live allocations."""
    with transaction.atomic():
        _lock_or_insert_totals(epoch)
        firsts: dict[str, int] = {}

        def terms():
            for row in selectors.epoch_allocation_terms(epoch=epoch):
                firsts.setdefault(row["project"], row["id"])
                yield row

        aggregates = sorted(engine.aggregate_allocations(terms()), key=lambda a: a.address)
        with connection.cursor() as cursor:  # in address order: the rows' locks of step 3 in their order
            cursor.execute(
                f"INSERT INTO {_table(ProjectFunding)} AS f (epoch, project_address, allocated, sqrt_sum, "
                f"first_allocation_id, exact, version, broadcast_version) SELECT %s, v.p, v.a, v.s, v.f, true, 1, 0 "
                f"FROM unnest(%s::varchar[], %s::numeric[], %s::varchar[], %s::bigint[]) AS v(p, a, s, f) "
                f"ORDER BY v.p ON CONFLICT (epoch, project_address) DO UPDATE SET allocated = EXCLUDED.allocated, "
                f"sqrt_sum = EXCLUDED.sqrt_sum, first_allocation_id = EXCLUDED.first_allocation_id, exact = true, "
                f"version = f.version + 1",
                [epoch, [a.address for a in aggregates], [a.allocated for a in aggregates],
                 [str(a.sqrt_sum) for a in aggregates], [firsts[a.address] for a in aggregates]])
            cursor.execute(
                f"UPDATE {_table(ProjectFunding)} SET allocated = 0, sqrt_sum = '0', first_allocation_id = NULL, "
                f"exact = true, version = version + 1 WHERE epoch = %s AND NOT (project_address = ANY(%s)) "
                f"AND (allocated <> 0 OR sqrt_sum <> '0' OR first_allocation_id IS NOT NULL OR NOT exact)",
                [epoch, [a.address for a in aggregates]])
        donors = donor_funding_rebuild(epoch=epoch)
    return {"projects": len(aggregates), "donors": donors}


def donor_funding_rebuild(*, epoch: int) -> int:
    """Recompute the epoch's donor rows and totals from its live allocations (deployments from before the
    rows existed). Returns how many donors it has."""
    return rebuild_donor_funding(epoch, Allocation=Allocation, Budget=Budget, DonorFunding=DonorFunding,
                                 EpochFunding=EpochFunding)


def rebuild_donor_funding(epoch, *, Allocation, Budget, DonorFunding, EpochFunding) -> int:
    """donor_funding_rebuild with the models given (the migration passes its historical ones). The
    epoch's totals are locked first (lock step 2), then the donor rows (step 4) replaced."""
    with transaction.atomic():
        EpochFunding.objects.get_or_create(epoch=epoch)
        totals = EpochFunding.objects.select_for_update().get(epoch=epoch)
        sums = Allocation.objects.filter(epoch=epoch, deleted_at__isnull=True).values("user__address").annotate(
            first=Min("id"), total=Sum("amount")).order_by("first").values_list("user__address", "first", "total")
        budgets = dict(Budget.objects.filter(epoch=epoch).values_list("address", "amount"))
        rows = [DonorFunding(epoch=epoch, address=address, allocated=int(total),
                             claimed=_claimed(int(budgets.get(address, 0)), int(total)), first_allocation_id=first)
                for address, first, total in sums]
        DonorFunding.objects.filter(epoch=epoch).delete()
        DonorFunding.objects.bulk_create(rows, batch_size=5_000)
        totals.claimed, totals.version = sum(r.claimed for r in rows), totals.version + 1
        totals.save(update_fields=["claimed", "version"])
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
