"""Reads for the staff dashboard on the admin index: the current epoch's timeline and the figures of the
epoch in (or last out of) its allocation window."""
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from allocations import selectors as allocation_selectors
from deposits.models import Budget
from epochs import selectors
from epochs.models import Epoch, FinalizedEpochSnapshot, PendingEpochSnapshot
from epochs.rules import epoch_rules
from octant.core.display import short_address
from octant.core.exceptions import OctantError
from octant.core.fields import sum_wei
from projects.models import Project
from projects.selectors import project_addresses
from rewards.variants import ProjectRewards, variant
from withdrawals.models import Reward

TOP_PROJECTS = 10


@dataclass(frozen=True)
class Timeline:
    epoch: int
    state: str
    start: datetime
    end: datetime
    window_closes: datetime  # the close of this epoch's own allocation window, after its end
    duration: int
    decision_window: int  # the length of this epoch's allocation window (the next epoch's decision window)
    seconds_left: int
    progress_percent: float


@dataclass(frozen=True)
class ProjectRow:
    address: str
    name: str
    allocated: int
    matched: int

    @property
    def total(self) -> int:
        return self.allocated + self.matched


@dataclass(frozen=True)
class EpochFigures:
    epoch: int
    state: str  # "allocation window open", "finalizing", "finalized"
    window_closes: datetime
    seconds_left: int | None  # in the allocation window
    staking_proceeds: int
    total_effective_deposit: int
    users_with_budgets: int
    total_budgets: int
    donors: int
    allocations_sum: int
    matched_rewards: int
    matched_is_estimate: bool
    matched_cap: Decimal | None  # each project's match is at most this share of matched_rewards (capped QF)
    threshold: int | None
    leftover: int | None
    projects_count: int
    top_projects: list[ProjectRow] = field(default_factory=list)


@dataclass(frozen=True)
class Dashboard:
    now: datetime
    configured: bool
    current: Timeline | None
    figures: EpochFigures | None


def _dt(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def _state_name(epoch: int, view) -> str:
    try:
        return selectors.epoch_state(epoch=epoch, view=view).name.lower().replace("_", " ")
    except OctantError:
        return "not snapshotted"


def _names(epoch: int, addresses) -> dict[str, str]:
    return dict(Project.objects.filter(epoch=epoch, address__in=list(addresses)).values_list("address", "name"))


def _window_of(epoch: int) -> Epoch:
    """The timing of the epoch during which `epoch`'s allocation window runs: the Epochs contract opens it
    for the first decision window of epoch + 1, with that epoch's props (docs/lifecycle.md §1.1). After a
    `setEpochProps` they differ from `epoch`'s own: the window closes at its start + its decision window."""
    return selectors.epoch_details(epoch=epoch + 1)


def epoch_figures(*, epoch: int, view: selectors.ChainView) -> EpochFigures | None:
    """Budgets, allocations, matching and the top projects of an epoch that has its pending snapshot:
    final figures once finalized, live estimates (as of the `view`'s time) before. None without a pending
    snapshot."""

    pending = PendingEpochSnapshot.objects.filter(epoch=epoch).first()
    if pending is None:
        return None
    window = _window_of(epoch)
    closes = window.start + window.decision_window
    finalized = FinalizedEpochSnapshot.objects.filter(epoch=epoch).first()
    budgets = Budget.objects.filter(epoch=epoch)
    live = allocation_selectors.live_allocations(epoch=epoch)
    if finalized:
        rewards = [(r.address, r.amount - r.matched, r.matched) for r in
                   Reward.objects.filter(epoch=epoch, matched__isnull=False).order_by("-amount", "address")]
        matched, leftover, estimate = finalized.matched_rewards, finalized.leftover, False
        state = "finalized"
    else:
        estimated = allocation_selectors.estimated_project_rewards(epoch=epoch, now=view.now)
        rewards = sorted(((r.address, r.allocated, r.matched) for r in estimated.rewards if r.allocated or r.matched),
                         key=lambda row: (-(row[1] + row[2]), row[0]))
        matched = allocation_selectors.estimated_matched_rewards(epoch=epoch, now=view.now)
        leftover, estimate = None, True
        state = "allocation window open" if view.pending == epoch else "finalizing"
    chosen = variant(epoch, rules=epoch_rules())
    capped = chosen.project_rewards is ProjectRewards.CAPPED_QUADRATIC_FUNDING
    top = rewards[:TOP_PROJECTS]
    names = _names(epoch, (address for address, _, _ in top))
    return EpochFigures(
        epoch=epoch, state=state, window_closes=_dt(closes),
        seconds_left=max(closes - view.now, 0) if state == "allocation window open" else None,
        staking_proceeds=pending.eth_proceeds, total_effective_deposit=pending.total_effective_deposit,
        users_with_budgets=budgets.count(), total_budgets=sum_wei(budgets, "amount"),
        donors=live.values("user_id").distinct().count(), allocations_sum=sum_wei(live, "amount"),
        matched_rewards=matched, matched_is_estimate=estimate,
        matched_cap=chosen.funding_cap_percent if capped else None,
        threshold=allocation_selectors.epoch_threshold(epoch=epoch), leftover=leftover,
        projects_count=len(project_addresses(epoch=epoch)),
        top_projects=[ProjectRow(address, names.get(address, ""), allocated, m) for address, allocated, m in top],
    )


def epoch_dashboard(*, view: selectors.ChainView) -> Dashboard:
    if not view.current:
        return Dashboard(now=_dt(view.now), configured=False, current=None, figures=None)
    details, window = selectors.epoch_details(epoch=view.current), _window_of(view.current)
    elapsed = min(max(view.now - details.start, 0), details.duration)
    current = Timeline(
        epoch=view.current, state=_state_name(view.current, view), start=_dt(details.start), end=_dt(details.end),
        window_closes=_dt(window.start + window.decision_window), duration=details.duration,
        decision_window=window.decision_window,
        seconds_left=max(details.end - view.now, 0),
        progress_percent=round(100 * elapsed / details.duration, 1) if details.duration else 100.0)
    focus = view.pending if view.pending and selectors.epoch_has_pending_snapshot(epoch=view.pending) else None
    if focus is None:
        focus = selectors.last_pending_snapshot_epoch()  # finalizing or finalized
    figures = epoch_figures(epoch=focus, view=view) if focus else None
    return Dashboard(now=_dt(view.now), configured=True, current=current, figures=figures)


def dashboard_chart(figures: EpochFigures | None) -> str | None:
    """The top projects' allocated and matched rewards as a PNG data URI (log scale), None without rows."""

    from .charts import as_data_uri, matched_vs_allocated_png

    if figures is None or not figures.top_projects:
        return None
    rows = [(p.name or short_address(p.address), p.allocated, p.matched) for p in figures.top_projects]
    return as_data_uri(matched_vs_allocated_png(rows, title=f"Top projects of epoch {figures.epoch}"))


def duration_text(seconds: int) -> str:
    """'2d 3h 4m', '5m 6s'."""
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    if days or hours:
        parts.append(f"{hours}h")
    parts.append(f"{minutes}m")
    if not days and not hours:
        parts.append(f"{secs}s")
    return " ".join(parts)
