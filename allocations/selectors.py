"""Reads about allocations."""
import dataclasses
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, Sum

from allocations import engine
from antisybil.selectors import uq_score
from deposits.selectors import budget_sql, patrons_rewards
from epochs.models import Epoch, FinalizedEpochSnapshot, PendingEpochSnapshot
from epochs.rules import epoch_rules
from epochs.selectors import ChainView, rewards_and_matched
from octant.core.cache import figures_version
from octant.core.exceptions import MissingSnapshot
from octant.core.fields import sum_wei
from octant.core.db import keyset_chunks, keyset_pages
from projects.selectors import project_addresses, project_addresses_sql
from rewards.variants import ProjectRewards as ProjectRewardsStrategy
from rewards.variants import variant
from users.models import User
from users.selectors import patron_toggles_sql, patron_toggles_version, window_patrons

from .models import Allocation, AllocationRequest, DonorFunding, EpochFunding, ProjectFunding, UniquenessQuotient


def live_allocations(*, epoch: int):
    return Allocation.objects.filter(epoch=epoch, deleted_at__isnull=True)


def allocations_sum(*, epoch: int) -> int:
    return sum_wei(live_allocations(epoch=epoch), "amount")


def finalized_epoch_leverage(*, epoch: int) -> float:
    """fl(MR / Σ allocations) of a finalized epoch, 0.0 without allocations (docs/rewards.md §4.6)."""
    snapshot = FinalizedEpochSnapshot.objects.filter(epoch=epoch).first()
    if snapshot is None:
        raise MissingSnapshot()
    total = allocations_sum(epoch=epoch)
    return snapshot.matched_rewards / total if total else 0.0


def allocations_with_uq(*, epoch: int, project: str | None = None) -> list[dict]:
    """The epoch's live allocations in the order they were made, each with its donor's UQ score (None when
    the donor has none: it counts as 0), as the project-rewards engine takes them."""
    rows = live_allocations(epoch=epoch)
    uqs = UniquenessQuotient.objects.filter(epoch=epoch)
    if project:
        rows = rows.filter(project_address=project)
        uqs = uqs.filter(user_id__in=rows.values("user_id"))  # not the whole epoch's for each project
    scores = {user_id: Decimal(score) for user_id, score in uqs.values_list("user_id", "score")}
    rows = rows.order_by("id").values_list("id", "user_id", "user__address", "project_address", "amount")
    if not project:
        # the whole epoch: in chunks. Not for one project's few thousand rows: PostgreSQL plans a server-side
        # cursor for a fast start, here a walk of the whole epoch in id order (4x slower than a plain query)
        rows = rows.iterator(chunk_size=20_000)
    return [{"id": row_id, "donor": address, "project": project, "amount": amount, "uq": scores.get(user_id)}
            for row_id, user_id, address, project, amount in rows]


def project_allocation_terms(*, epoch: int, project: str) -> list[dict]:
    """One project's live allocations of the epoch in the order they were made, as the aggregates take them
    (engine.aggregate_allocations: id, project, amount and the donor's UQ, None without one), in one plain
    query: the aggregates' rebuild reads ~10,000 rows a project, and the ORM's rows cost twice the time."""
    quote = connection.ops.quote_name
    allocations, uqs = quote(Allocation._meta.db_table), quote(UniquenessQuotient._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.id, CAST(a.amount AS TEXT), q.score FROM {allocations} a LEFT JOIN {uqs} q "
            f"ON q.user_id = a.user_id AND q.epoch = a.epoch WHERE a.epoch = %s AND a.project_address = %s "
            f"AND a.deleted_at IS NULL ORDER BY a.id", [epoch, project])
        rows = cursor.fetchall()
    scores = {None: None}
    for _, _, score in rows:
        if score not in scores:
            scores[score] = Decimal(score)
    return [{"id": row_id, "project": project, "amount": int(amount), "uq": scores[score]}
            for row_id, amount, score in rows]


def epoch_allocation_terms(*, epoch: int, chunk: int = 20_000):
    """Every live allocation of the epoch in the order they were made, as the aggregates take them
    (`project_allocation_terms`' rows), streamed from a server-side cursor in chunks: the rebuild of an
    epoch's aggregates reads a million rows in one pass without holding them. Inside a transaction."""
    quote = connection.ops.quote_name
    allocations, uqs = quote(Allocation._meta.db_table), quote(UniquenessQuotient._meta.db_table)
    scores = {None: None}
    with connection.chunked_cursor() as cursor:
        cursor.execute(
            f"SELECT a.id, a.project_address, CAST(a.amount AS TEXT), q.score FROM {allocations} a LEFT JOIN {uqs} q "
            f"ON q.user_id = a.user_id AND q.epoch = a.epoch WHERE a.epoch = %s AND a.deleted_at IS NULL "
            f"ORDER BY a.id", [epoch])
        while rows := cursor.fetchmany(chunk):
            for row_id, project, amount, score in rows:
                if score not in scores:
                    scores[score] = Decimal(score)
                yield {"id": row_id, "project": project, "amount": int(amount), "uq": scores[score]}


# --- live estimates during the allocation window (O(projects), from the aggregates) --------------------


def estimated_matched_rewards(*, epoch: int, now: int, finalized_at: int | None = None,
                              patron_toggles: list[dict] | None = None,
                              snapshot: PendingEpochSnapshot | None = None) -> int:
    """The matching pool of the pending epoch as it stands: the pending snapshot's figures plus the budgets
    of the users in patron mode now (docs/rewards.md §3.7). `now` and the epoch's `finalized_at`, when the caller
    has them, spare reading them again, and so do the patron-mode toggles up to `finalized_at` at least
    (users.selectors.patron_toggles) and the epoch's pending `snapshot`."""

    if snapshot is None:
        snapshot = PendingEpochSnapshot.objects.filter(epoch=epoch).first()
    if snapshot is None:
        raise MissingSnapshot()
    patrons = window_patrons(epoch=epoch, until=now, finalized_at=finalized_at, toggles=patron_toggles)
    return rewards_and_matched(snapshot, patrons_rewards=patrons_rewards(epoch=epoch, patrons=patrons))[1]


def funding_aggregates(*, epoch: int) -> list[engine.ProjectAggregate]:
    """Per-project aggregates in order of each project's first live allocation."""
    rows = ProjectFunding.objects.filter(epoch=epoch, first_allocation_id__isnull=False).order_by(
        "first_allocation_id").values_list("project_address", "allocated", "sqrt_sum")
    return [engine.ProjectAggregate(address, allocated, Decimal(sqrt_sum)) for address, allocated, sqrt_sum in rows]


def exact_funding_aggregates(*, epoch: int) -> list[engine.ProjectAggregate]:
    """funding_aggregates equal to the full computation's: a project whose aggregate is inexact (allocations
    replaced, its rebuild not run yet) is summed again from its own live allocations, in memory."""
    ordered = []
    for address, allocated, sqrt_sum, first, exact in ProjectFunding.objects.filter(epoch=epoch).values_list(
            "project_address", "allocated", "sqrt_sum", "first_allocation_id", "exact"):
        if exact:
            sqrt_sum = Decimal(sqrt_sum)
        else:
            rows = project_allocation_terms(epoch=epoch, project=address)
            aggregate = engine.aggregate_allocations(rows)
            first = rows[0]["id"] if rows else None
            allocated, sqrt_sum = (aggregate[0].allocated, aggregate[0].sqrt_sum) if aggregate else (0, None)
        if first is not None:
            ordered.append((first, engine.ProjectAggregate(address, allocated, sqrt_sum)))
    return [aggregate for _, aggregate in sorted(ordered, key=lambda pair: pair[0])]


def aggregates_usable(*, epoch: int) -> bool:
    """Whether the epoch's rewards can come from the aggregates exactly: not in exact mode (whose sums are
    not kept), and the epoch's totals exist if it has live allocations (they do unless loaded in bulk
    without `donor_funding_rebuild`)."""
    if variant(epoch, rules=epoch_rules()).exact:
        return False
    return EpochFunding.objects.filter(epoch=epoch).exists() or not live_allocations(epoch=epoch).exists()


def estimated_project_rewards(*, epoch: int, now: int) -> engine.ProjectRewardsResult:
    """Project rewards of the pending epoch as they stand, in the epoch's project-list order (as the
    reference lists them; projects outside the list after it)."""

    projects = project_addresses(epoch=epoch)
    result = _estimated_project_rewards(epoch=epoch, projects=projects,
                                        matched=estimated_matched_rewards(epoch=epoch, now=now))
    position = {project: index for index, project in enumerate(projects)}
    return dataclasses.replace(result, rewards=sorted(result.rewards, key=lambda r: position.get(r.address,
                                                                                                 len(position))))


def funding_version(*, epoch: int, now: int, claimed: bool = False) -> str:
    """A key that changes whenever the epoch's live figures can: the projects' aggregate versions (every
    allocation change bumps one; a rebuild makes an inexact row exact), the patron-mode toggles up to `now`,
    the settings that change a figure (octant.core.cache.figures_version: servers of other settings may share
    the cache) and, with `claimed`, the version of the epoch's Σ claimed (every donor's change bumps it)."""
    funding = _project_funding_versions(epoch=epoch)
    key = "{}:{versions}:{rows}:{inexact}:{figures}:".format(epoch, figures=figures_version(), **funding)
    key += patron_toggles_version(timestamp=now)
    if claimed:
        key += ":{}".format(EpochFunding.objects.filter(epoch=epoch).values_list("version", flat=True).first())
    return key


def _project_funding_versions(*, epoch: int) -> dict:
    return ProjectFunding.objects.filter(epoch=epoch).aggregate(
        versions=Sum("version"), rows=Count("id"), inexact=Count("id", filter=Q(exact=False)))


def allocations_version(*, epoch: int) -> str | None:
    """A key that changes whenever the epoch's lists of allocations and donors can (`epoch_allocations`,
    `donors_chunks`), for answers kept per state: `funding_version` without the patron-mode toggles (a toggle
    in the window withdraws the user's allocations, which bumps the versions; otherwise it changes neither
    list), so it stays the same once the window has closed. Only the services write allocations, and every
    allocate, re-allocate and withdrawal bumps the version of each project it touches (zero amounts
    included); a rebuild changes the inexact count, a donor rebuild the epoch's version.

    None when the epoch has no project aggregates (none allocated yet through the services, or allocations
    loaded in bulk): nothing then tells a change, and the lists are not to be kept."""
    funding = _project_funding_versions(epoch=epoch)
    if not funding["rows"]:
        return None
    donors = EpochFunding.objects.filter(epoch=epoch).values_list("version", flat=True).first()
    return "{}:{versions}:{rows}:{inexact}:{}".format(epoch, donors, **funding)


def estimated_project_rewards_shared(*, epoch: int, now: int) -> engine.ProjectRewardsResult:
    """estimated_project_rewards computed once per state of the epoch and shared through the cache by every
    request and process: the state is the projects' aggregate versions (every allocation change bumps one;
    a rebuild makes an inexact row exact) and the patron-mode toggles so far."""
    key = "estimate:" + funding_version(epoch=epoch, now=now)
    result = cache.get(key)
    if result is None:
        result = estimated_project_rewards(epoch=epoch, now=now)
        cache.set(key, result, timeout=3600)
    return result


def _estimated_project_rewards(*, epoch: int, projects: list[str], matched: int,
                               exact: bool = False) -> engine.ProjectRewardsResult:
    """Capped QF comes from the aggregates in O(projects); the preliminary variants of epochs 1-3 (linear in
    the per-project sums) from the sums; exact capped QF from the allocations. `exact`: equal to the full
    computation to the last digit even while some aggregates wait for their rebuild."""
    rules = epoch_rules()
    chosen = variant(epoch, rules=rules)
    if chosen.exact:  # exact sums are not kept in the aggregates: O(allocations)
        return engine.project_rewards(epoch, allocations=allocations_with_uq(epoch=epoch), projects=projects,
                                      matched_rewards=matched, rules=rules)
    aggregates = exact_funding_aggregates(epoch=epoch) if exact else funding_aggregates(epoch=epoch)
    if chosen.project_rewards is ProjectRewardsStrategy.CAPPED_QUADRATIC_FUNDING:
        return engine.project_rewards_from_aggregates(
            aggregates=aggregates, projects=projects, matched_rewards=matched,
            funding_cap_percent=chosen.funding_cap_percent)
    sums = [{"donor": "", "project": a.address, "amount": a.allocated, "uq": None} for a in aggregates]
    return engine.project_rewards(epoch, allocations=sums, projects=projects, matched_rewards=matched, rules=rules)


def project_donors(*, epoch: int, project: str) -> list[tuple[str, int]]:
    return projects_donors(epoch=epoch, projects=[project])[project]


def projects_donors(*, epoch: int, projects: list[str]) -> dict[str, list[tuple[str, int]]]:
    """{project: [(donor, amount), ...]} for each project: its live allocations, zero amounts included, in
    allocation order. One query however many projects."""
    result = {project: [] for project in projects}
    rows = live_allocations(epoch=epoch).filter(project_address__in=projects).order_by("id").values_list(
        "project_address", "user__address", "amount")
    for project, donor, amount in rows:
        result[project].append((donor, amount))
    return result


def projects_donors_json(*, epoch: int, projects: list[str]):
    """`projects_donors` as each project's JSON array of {"address", "amount" (a decimal string)}, compact
    (what the websocket's `project_donors` event carries): (project, text) pairs in the order of `projects`,
    read lazily, one project at a time, from a server-side cursor (consume them on the thread that reads
    them). At 1,000,000 allocations the lists are 80 MB: a reader holds one of them, not all. The database
    writes the text (addresses are hex and amounts digits: nothing to escape): at 10,000 donors a project,
    building it row by row in Python cost ten times as much."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(
            f"""SELECT p.address, coalesce((
                    SELECT '[' || string_agg('{{"address":"' || u.address || '","amount":"' || a.amount::text
                                             || '"}}', ',' ORDER BY a.id) || ']'
                    FROM {Allocation._meta.db_table} a JOIN {User._meta.db_table} u ON u.id = a.user_id
                    WHERE a.epoch = %s AND a.deleted_at IS NULL AND a.project_address = p.address), '[]')
                FROM unnest(%s::text[]) WITH ORDINALITY AS p(address, position) ORDER BY p.position""",
            [epoch, list(projects)])
        while (row := cursor.fetchone()) is not None:
            yield row


def donors(*, epoch: int) -> list[str]:
    return list(live_allocations(epoch=epoch).order_by("user__address").values_list(
        "user__address", flat=True).distinct())


def donors_chunks(*, epoch: int):
    """`donors` in chunks: from the donor rows (one per donor) where they are kept, else from the allocations."""

    if not (EpochFunding.objects.filter(epoch=epoch).exists() or not live_allocations(epoch=epoch).exists()):
        yield donors(epoch=epoch)
        return
    yield from keyset_chunks(DonorFunding.objects.filter(epoch=epoch), key="address", fields=("address",),
                             make=lambda address: address)


def epoch_allocations_chunks(*, epoch: int, include_zero: bool, size: int = 20_000):
    """`epoch_allocations` read a chunk at a time in allocation order: lists of (donor, amount, project), the
    amount as its decimal digits (a str: the list can hold millions of rows, and PostgreSQL writes the digits
    faster than Python converts its numerics, about half the time of the ORM's rows)."""
    allocation, user = Allocation._meta, Allocation.user.field.related_model._meta
    query = (f'SELECT a.id, u.address, a.amount::text, a.project_address FROM {allocation.db_table} a '
             f'JOIN {user.db_table} u ON u.id = a.user_id WHERE a.epoch = %s AND a.deleted_at IS NULL '
             f'{"" if include_zero else "AND a.amount <> 0 "}AND a.id > %s ORDER BY a.id LIMIT %s')

    def fetch(last, size):
        with connection.cursor() as cursor:
            cursor.execute(query, [epoch, last or 0, size])
            return cursor.fetchall()

    for rows in keyset_pages(fetch, size=size):
        yield [row[1:] for row in rows]


def epoch_allocations(*, epoch: int, include_zero: bool) -> list[tuple[str, int, str]]:
    rows = live_allocations(epoch=epoch).order_by("id")
    if not include_zero:
        rows = rows.exclude(amount=0)
    return list(rows.values_list("user__address", "amount", "project_address"))


def user_allocations(*, epoch: int, address: str) -> tuple[list[tuple[str, int]], bool | None]:
    rows = list(live_allocations(epoch=epoch).filter(user__address=address).order_by("id").values_list(
        "project_address", "amount"))
    request = AllocationRequest.objects.filter(user__address=address, epoch=epoch).order_by("-nonce").first()
    return rows, (request.is_manually_edited if request else None)


def next_nonce(*, address: str) -> int:
    last = AllocationRequest.objects.filter(user__address=address).order_by("-nonce").values_list(
        "nonce", flat=True).first()
    return 0 if last is None else last + 1


def epoch_threshold(*, epoch: int) -> int | None:
    """The allocation threshold of epochs 1-3 (docs/rewards.md §5.2); None from epoch 4."""

    rules = epoch_rules()
    if variant(epoch, rules=rules).threshold_multiplier is None:
        return None
    return engine.epoch_threshold(epoch, total_allocated=allocations_sum(epoch=epoch),
                                  projects_count=len(project_addresses(epoch=epoch)), rules=rules)


def socket_payload(*, view: ChainView, projects: list[str] | None = None) -> dict | None:
    """What websocket clients are sent (docs/lifecycle.md §10.3); None outside an allocation window with a snapshot.
    Its "project_donors" are read as they are taken: on this thread, once."""

    epoch = view.pending
    if epoch is None or not PendingEpochSnapshot.objects.filter(epoch=epoch).exists():
        return None
    rewards = estimated_project_rewards(epoch=epoch, now=view.now)
    if projects is None:
        projects = project_addresses(epoch=epoch)
    return {
        "epoch": epoch,
        "threshold": epoch_threshold(epoch=epoch),  # None from epoch 4 (realtime.threshold_frame sends "0")
        "project_rewards": [{"address": r.address, "allocated": str(r.allocated), "matched": str(r.matched)}
                            for r in rewards.rewards],
        # each project's donors as JSON text already (realtime.state_frames puts it in the frame as it is),
        # read as they are taken, one project at a time (projects_donors_json)
        "project_donors": ({"project": p, "donors_json": text}
                           for p, text in projects_donors_json(epoch=epoch, projects=projects)),
    }


def frozen_uq(*, epoch: int, address: str) -> str | None:
    """The UQ score frozen for the user at their first allocation in the epoch (a decimal string), if any."""
    return UniquenessQuotient.objects.filter(epoch=epoch, user__address=address).values_list(
        "score", flat=True).first()


def uq_or_current(frozen: str | None, *, address: str) -> Decimal:
    """The one rule for a user's UQ in an epoch: the score frozen at their first allocation, else the one
    their stored passport (or a delegated one) gives now (antisybil.selectors.uq_score, docs/rewards.md §5.5),
    which the allocation then freezes."""
    return Decimal(frozen) if frozen is not None else uq_score(address)


def uq_for_simulation(*, epoch: int, address: str) -> Decimal:
    """The user's frozen UQ for the epoch, or the one their passport score would give now."""
    return uq_or_current(frozen_uq(epoch=epoch, address=address), address=address)


def simulate_allocation(*, epoch: int, previous: list[tuple[str, int]], new: list[tuple[str, int]],
                        uq: Decimal, projects: list[str] | None = None, matched: int,
                        address: str | None = None,
                        aggregates: list[engine.ProjectAggregate] | None = None) -> engine.AllocationSimulation:
    """What replacing a user's `previous` allocations with `new` would do (docs/rewards.md §5.6), from the
    aggregates in O(projects): leverage, threshold and every project's matched rewards afterwards.
    The epoch's `projects` and `aggregates` (funding_aggregates) are read unless given.
    In exact mode (no exact aggregates) it recomputes from every live allocation, the user's (`address`)
    replaced."""

    projects = project_addresses(epoch=epoch) if projects is None else projects
    rules = epoch_rules()
    chosen = variant(epoch, rules=rules)
    if chosen.exact:
        donor = address or ""
        return engine.simulate_allocation(
            epoch, allocations=allocations_with_uq(epoch=epoch),
            new_allocations=[{"donor": donor, "project": p, "amount": a, "uq": uq} for p, a in new],
            projects=projects, matched_rewards=matched, rules=rules)
    current = {a.address: a for a in (funding_aggregates(epoch=epoch) if aggregates is None else aggregates)}
    before = engine.apply_allocation_change(current, removed=previous, uq=uq)  # the user's allocations out
    after = engine.apply_allocation_change(before, added=new, uq=uq)
    if chosen.project_rewards is not ProjectRewardsStrategy.CAPPED_QUADRATIC_FUNDING:
        sums = [{"donor": "", "project": a.address, "amount": a.allocated, "uq": None} for a in after.values()]
        result = engine.project_rewards(epoch, allocations=sums, projects=projects, matched_rewards=matched,
                                        rules=rules)
        return engine.AllocationSimulation(result.leverage, result.threshold,
                                           sorted(result.rewards, key=lambda r: r.address))
    rewards_before = engine.project_rewards_from_aggregates(
        aggregates=list(before.values()), projects=projects, matched_rewards=matched,
        funding_cap_percent=chosen.funding_cap_percent)
    rewards_after = engine.project_rewards_from_aggregates(
        aggregates=list(after.values()), projects=projects, matched_rewards=matched,
        funding_cap_percent=chosen.funding_cap_percent)
    leverage = engine.individual_leverage(
        before={r.address: r.matched for r in rewards_before.rewards},
        after={r.address: r.matched for r in rewards_after.rewards},
        new_projects=[p for p, _ in new], new_amount=sum(a for _, a in new))
    return engine.AllocationSimulation(leverage, None, sorted(rewards_after.rewards, key=lambda r: r.address))


def allocation_leverage(*, epoch: int, previous: list[tuple[str, int]], new: list[tuple[str, int]], uq: Decimal,
                        projects: list[str], matched: int, address: str,
                        aggregates: list[engine.ProjectAggregate]) -> float:
    """The leverage `simulate_allocation` gives the change, for an allocation that has read the epoch's
    `aggregates` (funding_aggregates' rows, in first-allocation order) already: under capped QF only the
    added projects' matched rewards are worked out (engine.leverage_from_aggregates); other variants go
    through `simulate_allocation`."""
    chosen = variant(epoch, rules=epoch_rules())
    if chosen.exact or chosen.project_rewards is not ProjectRewardsStrategy.CAPPED_QUADRATIC_FUNDING:
        return simulate_allocation(epoch=epoch, previous=previous, new=new, uq=uq, projects=projects,
                                   matched=matched, address=address, aggregates=aggregates).leverage
    return engine.leverage_from_aggregates({a.address: a for a in aggregates}, removed=previous, added=new, uq=uq,
                                           matched_rewards=matched, funding_cap_percent=chosen.funding_cap_percent)


@dataclasses.dataclass(frozen=True)
class AllocationFacts:
    """What the checks of one allocation read about the user and the epoch (`allocation_facts`)."""

    epoch: int
    details: Epoch | None  # the epoch's indexed timing (None: not indexed yet)
    user_id: int | None  # None: not seen yet
    nonce: int | None  # the last nonce used
    budget: int | None
    uq: str | None  # the UQ frozen at the user's first allocation in the epoch
    toggles: list[dict]  # the user's patron-mode toggles (users.selectors.patron_toggles)
    projects: list[str]  # the epoch's projects, in the order they were added (projects.selectors.project_addresses)
    snapshot: PendingEpochSnapshot | None  # only the figures the matching pool needs (octant_rewards_of)


def allocation_facts(*, epoch: int, address: str) -> AllocationFacts:
    """What the checks of an allocation by `address` in `epoch` need, in one statement that folds in the
    reads of the apps that own them: the epoch's indexed timing and pending snapshot, the user's row (id,
    last nonce), budget (deposits.selectors.budget_sql), frozen UQ, patron-mode toggles
    (users.selectors.patron_toggles_sql) and the epoch's projects (projects.selectors.project_addresses_sql)."""
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT e.id, e.start, e.duration, e.decision_window, u.id, u.allocation_nonce, ({budget_sql()}), "
            f"(SELECT q.score FROM {q(UniquenessQuotient._meta.db_table)} q WHERE q.epoch = %s AND q.user_id = u.id "
            f" ORDER BY q.id LIMIT 1), (SELECT json_agg(t) FROM ({patron_toggles_sql(of_user=True)}) t), "
            f"s.id, CAST(s.eth_proceeds AS TEXT), CAST(s.total_effective_deposit AS TEXT), "
            f"ARRAY({project_addresses_sql()}) FROM (SELECT 1) one LEFT JOIN {q(Epoch._meta.db_table)} e "
            f"ON e.number = %s LEFT JOIN {q(User._meta.db_table)} u ON u.address = %s "
            f"LEFT JOIN {q(PendingEpochSnapshot._meta.db_table)} s ON s.epoch = %s",
            [epoch, address, epoch, address, epoch, epoch, address, epoch])
        (epoch_id, start, duration, window, user_id, nonce, budget, uq, toggles, snapshot_id, proceeds, deposit,
         projects) = cursor.fetchone()
    snapshot = None if snapshot_id is None else PendingEpochSnapshot(
        id=snapshot_id, epoch=epoch, eth_proceeds=int(proceeds), total_effective_deposit=int(deposit))
    details = None if epoch_id is None else Epoch(id=epoch_id, number=epoch, start=start, duration=duration,
                                                  decision_window=window)
    return AllocationFacts(epoch=epoch, details=details, user_id=user_id, nonce=nonce,
                           budget=None if budget is None else int(budget), uq=uq, toggles=toggles or [],
                           projects=projects, snapshot=snapshot)


def user_live_allocations(*, epoch: int, address: str) -> list[tuple[str, int]]:
    return list(live_allocations(epoch=epoch).filter(user__address=address).order_by("id").values_list(
        "project_address", "amount"))


def epoch_leverage(*, epoch: int, now: int) -> float:
    """fl(MR / Σ allocations): the finalized snapshot's MR once finalized, else the live estimate at `now`."""
    snapshot = FinalizedEpochSnapshot.objects.filter(epoch=epoch).first()
    matched = snapshot.matched_rewards if snapshot else estimated_matched_rewards(epoch=epoch, now=now)
    return engine.epoch_leverage(matched, allocations_sum(epoch=epoch))


def uniqueness_quotient(*, epoch: int, address: str) -> Decimal:
    """`/user/{a}/uq/{e}`: the frozen UQ, or the one the passport would give now."""
    return uq_for_simulation(epoch=epoch, address=address)


def uniqueness_quotients(*, epoch: int) -> list[tuple[str, str]]:
    # the reference's query has no ORDER BY: rows come in insertion order
    return list(UniquenessQuotient.objects.filter(epoch=epoch).order_by("id").values_list(
        "user__address", "score"))
