"""The Epochs contract's arithmetic (docs/lifecycle.md §1.1), pure: no Django import.

`props` is the contract's list of epoch-props entries in order; each covers epochs `from_epoch`..`to_epoch`
(`to_epoch` 0 = still open) starting at `from_ts`, with its own duration and decision window.
"""
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class EpochProps:
    from_epoch: int
    to_epoch: int
    from_ts: int
    duration: int
    decision_window: int


class EpochTimes:
    """The instants an epoch's timing gives (docs/lifecycle.md §1.1), for anything with `start`, `duration` and
    `decision_window`: the chain's `EpochTiming` and the indexed `epochs.models.Epoch` row alike."""

    start: int
    duration: int
    decision_window: int

    @property
    def end(self) -> int:
        return self.start + self.duration

    @property
    def finalized_at(self) -> int:
        """The instant the epoch's allocation window closes."""
        return self.end + self.decision_window


@dataclass(frozen=True)
class EpochTiming(EpochTimes):
    epoch: int
    start: int
    duration: int
    decision_window: int


def validate(*, start: int, duration: int, decision_window: int) -> None:
    if start < 0:
        raise ValueError("start must be a non-negative Unix timestamp")
    if duration <= 0:
        raise ValueError("duration must be positive")
    if decision_window < 0:
        raise ValueError("decision window must not be negative")
    if decision_window > duration:
        raise ValueError("decision window must not be longer than the epoch duration")


def active_props(props: list[EpochProps], now: int) -> EpochProps | None:
    started = [p for p in props if p.from_ts <= now]
    return started[-1] if started else None


def current_epoch(props: list[EpochProps], now: int) -> int:
    """0 before the first epoch starts (where the contract reverts)."""
    p = active_props(props, now)
    if p is None:
        return 0
    if p.to_epoch:
        return p.to_epoch
    return (now - p.from_ts) // p.duration + p.from_epoch


def is_decision_window_open(props: list[EpochProps], now: int) -> bool:
    if current_epoch(props, now) <= 1:
        return False
    p = active_props(props, now)
    return (now - p.from_ts) % p.duration <= p.decision_window


def pending_epoch(props: list[EpochProps], now: int) -> int | None:
    """The epoch whose allocation window is open, or None (where the contract reverts)."""
    return current_epoch(props, now) - 1 if is_decision_window_open(props, now) else None


def finalized_epoch(props: list[EpochProps], now: int) -> int:
    current = current_epoch(props, now)
    window_open = is_decision_window_open(props, now)
    if current <= 1 or (current == 2 and window_open):
        return 0
    return current - 2 if window_open else current - 1


def epoch_timing(props: list[EpochProps], epoch: int) -> EpochTiming | None:
    for p in props:
        if p.from_epoch <= epoch and (p.to_epoch == 0 or epoch <= p.to_epoch):
            start = p.from_ts + (epoch - p.from_epoch) * p.duration
            return EpochTiming(epoch, start, p.duration, p.decision_window)
    return None


def set_props(props: list[EpochProps], now: int, *, duration: int, decision_window: int) -> list[EpochProps]:
    """`setEpochProps`: new timing applies from the next epoch. The first call in an epoch closes the current
    entry and appends one starting at the current epoch's end; later calls edit that appended entry."""
    validate(start=0, duration=duration, decision_window=decision_window)
    current = current_epoch(props, now)
    last = props[-1]
    if last.from_ts > now:  # already appended in this epoch: edit it
        return [*props[:-1], replace(last, duration=duration, decision_window=decision_window)]
    timing = epoch_timing(props, current)
    closed = replace(last, to_epoch=current)
    return [*props[:-1], closed, EpochProps(current + 1, 0, timing.end, duration, decision_window)]
