"""Effective deposits (docs/rewards.md §2). Pure: no Django import.

An event is a mapping with `type` ("lock" or "unlock"), `timestamp` (Unix seconds), `amount` (GLM wei)
and `before` (the locked balance before the event). The event builders below also set `after`, `source`
("octant" or "sablier") and, where given, `user`.

Two steps turn a user's events into an effective deposit (ED):
1. `effective_deposit`: the weighted average of the balance over the epoch window (§2.2-2.4);
2. `cut_off`: the 10-GLM rule (§2.5), which needs the balance locked at the end (`locked_at_end`).
`effective_deposits` does both for many users at once; it is the path snapshots use.
"""
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from octant.core.numeric import reference_context
from rewards.variants import MAINNET_HISTORY, CutOff, RuleSet, variant

GLM = 10**18
MIN_LOCKED_AT_END = 100 * GLM  # §2.5: below this final balance the ED is 0
MIN_EFFECTIVE_DEPOSIT = 10 * GLM  # §2.5: below this ED the ED is 0
HUNDRED_GLM_CUT_OFF = 100 * GLM  # §2.5, unused variant

GRACE_PERIOD_MAINNET = 86_400  # §2.1 Sablier grace period, seconds
GRACE_PERIOD_TESTNET = 900

LOCK = "lock"
UNLOCK = "unlock"
OCTANT = "octant"
SABLIER = "sablier"

Event = Mapping
Segment = tuple[int, int]  # (amount, weight in seconds)


def event_after(event: Event) -> int:
    """The balance after `event` (§2.1): before + amount for a lock, before - amount for an unlock."""
    kind = event["type"]
    if kind == LOCK:
        return event["before"] + event["amount"]
    if kind == UNLOCK:
        return event["before"] - event["amount"]
    raise ValueError(f"unknown deposit event type {kind!r}")


def locked_at_end(events: Sequence[Event]) -> int:
    """The balance after the last event, 0 without events (§2.5 `locked`)."""
    return event_after(events[-1]) if events else 0


# --- §2.2-2.4: time weights and the weighted average -------------------------------------------------


def time_weights(events: Sequence[Event], start: int, end: int) -> list[Segment]:
    """Default ("with unlocks") segments of §2.2, in time order, zero weights dropped.

    Segment i holds event i's `before` from the previous event (or `start`) to event i; the last one holds
    the final `after` up to `end`. A weight is negative when an event lies before `start`; it is kept.
    """
    segments = []
    previous = start
    for event in events:
        weight = event["timestamp"] - previous
        if weight:
            segments.append((event["before"], weight))
        previous = event["timestamp"]
    if events and end - previous:
        segments.append((event_after(events[-1]), end - previous))
    return segments


def time_weights_without_unlocks(events: Sequence[Event], start: int, end: int) -> list[Segment]:
    """Segments of §2.3 (epochs >= 2): each amount lowered to the minimum of all later amounts.

    Built from the default segments (zero weights already dropped), scanned backwards; consecutive equal
    amounts are merged and the result is sorted by (weight, amount), as the reference does.
    The order does not affect the weighted average.
    """
    merged: list[list[int]] = []
    floor = None
    for amount, weight in reversed(time_weights(events, start, end)):
        floor = amount if floor is None else min(floor, amount)
        if merged and merged[-1][0] == floor:
            merged[-1][1] += weight
        else:
            merged.append([floor, weight])
    return sorted(((amount, weight) for amount, weight in merged), key=lambda s: (s[1], s[0]))


def weighted_average(segments: Iterable[Segment]) -> int:
    """§2.4: trunc(Decimal(Σ a·w) ⊘ Decimal(Σ w)), 0 when Σ w = 0.

    The 28-digit rounding of the quotient happens before the truncation, exactly as in the reference; for
    large quotients it can round up into the next integer.
    """
    numerator = denominator = 0
    for amount, weight in segments:
        numerator += amount * weight
        denominator += weight
    return _quotient(numerator, denominator)


def _quotient(numerator: int, denominator: int) -> int:
    if denominator == 0:
        return 0
    with reference_context():
        return int(Decimal(numerator) / Decimal(denominator))


def effective_deposit(events: Sequence[Event], start: int, end: int, *, with_unlocks: bool) -> int:
    """The weighted-average ED over [start, end] before the cut-off (§2.2-2.4).

    `events` are sorted and already include the carry-in event. `with_unlocks=True` is the epoch-1
    weighting (§2.2); False is §2.3. Same result as `weighted_average` of the matching `time_weights*`,
    computed without building the merged segment lists.
    """
    return _raw_effective_deposit(events, start, end, with_unlocks)


def _raw_effective_deposit(events: Sequence[Event], start: int, end: int, with_unlocks: bool) -> int:
    # Hot path of snapshots: one pass, no intermediate objects beyond two int lists (without unlocks).
    if not events:
        return 0
    previous = start
    if with_unlocks:
        numerator = denominator = 0
        for event in events:
            timestamp = event["timestamp"]
            weight = timestamp - previous
            numerator += event["before"] * weight
            denominator += weight
            previous = timestamp
        weight = end - previous
        numerator += event_after(events[-1]) * weight
        denominator += weight
        return _quotient(numerator, denominator)

    amounts = []
    weights = []
    for event in events:
        timestamp = event["timestamp"]
        weight = timestamp - previous
        if weight:  # a zero-weight segment must not lower the suffix minimum
            amounts.append(event["before"])
            weights.append(weight)
        previous = timestamp
    weight = end - previous
    if weight:
        amounts.append(event_after(events[-1]))
        weights.append(weight)
    numerator = denominator = 0
    floor = None
    for index in range(len(amounts) - 1, -1, -1):
        amount = amounts[index]
        if floor is None or amount < floor:
            floor = amount
        weight = weights[index]
        numerator += floor * weight
        denominator += weight
    return _quotient(numerator, denominator)


# --- §2.5: cut-offs ------------------------------------------------------------------------------------


def cut_off(locked: int, effective_deposit: int) -> int:
    """The "10 GLM rule" used by every epoch (§2.5).

    0 if less than 100 GLM is locked at the end; otherwise the ED if it is at least 10 GLM, else 0.
    """
    if locked < MIN_LOCKED_AT_END:
        return 0
    return effective_deposit if effective_deposit >= MIN_EFFECTIVE_DEPOSIT else 0


def cut_off_100_glm(locked: int | None, effective_deposit: int) -> int:
    """The unused 100-GLM variant (§2.5): the ED if it is at least 100 GLM, else 0; `locked` is ignored."""
    return effective_deposit if effective_deposit >= HUNDRED_GLM_CUT_OFF else 0


# --- §2.6: many users at once --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserDeposit:
    address: str
    effective_deposit: int  # after the cut-off
    locked: int  # balance at the end of the window (saved as epoch_end_deposit)


@dataclass(frozen=True)
class EffectiveDeposits:
    deposits: list[UserDeposit]
    total: int  # TED


CutOffRule = Callable[[int, int], int]


def cut_off_rule(epoch: int, *, rules: RuleSet = MAINNET_HISTORY) -> CutOffRule:
    """The cut-off of `epoch`'s variant in `rules` (§2.5): the one place that maps `CutOff` to its rule."""
    if variant(epoch, rules=rules).cut_off is CutOff.HUNDRED_GLM:
        return cut_off_100_glm
    return cut_off


def iter_user_deposits(
    events_by_user: Mapping[str, Sequence[Event]] | Iterable[tuple[str, Sequence[Event]]],
    start: int,
    end: int,
    *,
    with_unlocks: bool,
    cut_off: CutOffRule = cut_off,
) -> Iterator[UserDeposit]:
    """One `UserDeposit` per user, lazily, in input order. A user with no events gets (address, 0, 0)."""
    items = events_by_user.items() if isinstance(events_by_user, Mapping) else events_by_user
    for address, events in items:
        locked = event_after(events[-1]) if events else 0
        raw = _raw_effective_deposit(events, start, end, with_unlocks)
        yield UserDeposit(address, cut_off(locked, raw), locked)


def effective_deposits(
    events_by_user: Mapping[str, Sequence[Event]] | Iterable[tuple[str, Sequence[Event]]],
    start: int,
    end: int,
    *,
    with_unlocks: bool,
    cut_off: CutOffRule = cut_off,
) -> EffectiveDeposits:
    """EDs after the cut-off for every user, and their total TED (§2.6). Deposits of 0 are kept."""
    deposits = list(
        iter_user_deposits(events_by_user, start, end, with_unlocks=with_unlocks, cut_off=cut_off)
    )
    return EffectiveDeposits(deposits, sum(d.effective_deposit for d in deposits))


# --- §2.1: building a user's epoch events -------------------------------------------------------------


def sablier_events(actions: Iterable[Mapping], *, user: str | None = None) -> list[dict]:
    """Map one Sablier stream's actions, in action order, to deposit events (§2.1).

    Actions are mappings with `category` ("Create", "Withdraw", "Cancel"), `timestamp`, `amountA` and
    `amountB`, as the Sablier subgraph returns them. Create locks amountA, Withdraw unlocks amountB, Cancel
    unlocks amountA. `before`/`after` are left to `unify_balances`, which recomputes them anyway; the
    reference's running stream balance does not reach any output. Other categories are ignored.
    """
    kinds = {"Create": (LOCK, "amountA"), "Withdraw": (UNLOCK, "amountB"), "Cancel": (UNLOCK, "amountA")}
    events = []
    for action in actions:
        if action["category"] not in kinds:
            continue
        kind, field = kinds[action["category"]]
        event = {
            "type": kind,
            "timestamp": int(action["timestamp"]),
            "amount": int(action[field]),
            "before": 0,
            "after": 0,
            "source": SABLIER,
        }
        if user is not None:
            event["user"] = user
        events.append(event)
    return events


def unify_balances(events: Sequence[Event]) -> list[dict]:
    """Recompute `before`/`after` sequentially from the first event's `before` (§2.1); does not sort.

    The reference tracks the Octant and Sablier balances separately and writes their sum, which is the
    plain running balance computed here.
    """
    unified = []
    balance = events[0]["before"] if events else 0
    for event in events:
        event = dict(event, before=balance)
        balance = event["after"] = event_after(event)
        unified.append(event)
    return unified


def apply_grace_period(events: Sequence[Event], *, grace_period: int) -> list[dict]:
    """The Sablier grace-period rule (§2.1), left to right, on unified events.

    A Sablier unlock of u immediately followed, less than `grace_period` seconds later, by an Octant lock
    of l is a move into Octant: u = l deletes both; u < l deletes the unlock and turns the lock into a lock
    of l - u starting from the unlock's `before`; u > l changes nothing. After a deletion the same index
    is examined again. Later balances are not recomputed (the net effect is unchanged).
    """
    result = [dict(event) for event in events]
    index = 0
    while index < len(result) - 1:
        unlock, lock = result[index], result[index + 1]
        if (
            unlock["type"] == UNLOCK
            and unlock.get("source") == SABLIER
            and lock["type"] == LOCK
            and lock.get("source", OCTANT) == OCTANT
            and lock["timestamp"] - unlock["timestamp"] < grace_period
        ):
            if unlock["amount"] == lock["amount"]:
                del result[index : index + 2]
                continue
            if unlock["amount"] < lock["amount"]:
                amount = lock["amount"] - unlock["amount"]
                before = unlock["before"]
                result[index + 1] = dict(lock, amount=amount, before=before, after=before + amount)
                del result[index]
                continue
        index += 1
    return result


def _in_window(event: Event, start: int, end: int) -> bool:
    """Octant events: start <= t < end; Sablier events: start <= t <= end. A bound of 0 means none."""
    timestamp = event["timestamp"]
    if start and timestamp < start:
        return False
    if end:
        if event.get("source", OCTANT) == SABLIER:
            return timestamp <= end
        return timestamp < end
    return True


# Ties between equal timestamps keep the order in which the reference concatenates its sources.
_PER_USER_TIES = {(OCTANT, LOCK): 0, (OCTANT, UNLOCK): 1, (SABLIER, LOCK): 2, (SABLIER, UNLOCK): 2}
_ALL_USERS_TIES = {(SABLIER, LOCK): 0, (SABLIER, UNLOCK): 0, (OCTANT, LOCK): 1, (OCTANT, UNLOCK): 2}


def _tie_rank(ranks: dict, event: Event) -> int:
    return ranks[(event.get("source", OCTANT), event["type"])]


def _epoch_events(ordered: list[Event], start: int, opening_balance: int, grace_period: int) -> list[dict]:
    carry_in = {
        "type": LOCK,
        "timestamp": start,
        "amount": 0,
        "before": opening_balance,
        "after": opening_balance,
        "source": OCTANT,
    }
    return apply_grace_period(unify_balances([carry_in, *ordered]), grace_period=grace_period)


def user_epoch_events(
    events: Iterable[Event],
    start: int,
    end: int,
    *,
    opening_balance: int = 0,
    grace_period: int,
) -> list[dict]:
    """One user's events for an epoch [start, end), as the reference's per-user path builds them (§2.1).

    Keeps the events in the window, sorts them by timestamp (ties: Octant locks, Octant unlocks, Sablier,
    each in input order), prepends the carry-in lock of 0 with before = `opening_balance` (the user's
    `epoch_end_deposit` of the previous epoch, or 0), unifies balances and applies the grace period.
    Only the carry-in left with a balance of 0 means "no events": [] is returned.
    """
    window = [e for e in events if _in_window(e, start, end)]
    window.sort(key=lambda e: (e["timestamp"], _tie_rank(_PER_USER_TIES, e)))
    result = _epoch_events(window, start, opening_balance, grace_period)
    if len(result) == 1 and result[0]["after"] == 0:
        return []
    return result


def epoch_events_by_user(
    events: Iterable[Event],
    start: int,
    end: int,
    *,
    opening_balances: Mapping[str, int],
    grace_period: int,
) -> dict[str, list[dict]]:
    """All users' events for an epoch, as the reference's all-users path builds them (§2.1).

    `events` carry a `user` key. Every user with an opening balance (a Deposit row of the previous epoch,
    even of 0) or with an event in the window gets a list starting with the carry-in event. Ties between
    equal timestamps: Sablier, Octant locks, Octant unlocks, each in input order.
    """
    grouped: dict[str, list[Event]] = {user: [] for user in opening_balances}
    for event in events:
        if _in_window(event, start, end):
            grouped.setdefault(event["user"], []).append(event)
    result = {}
    for user, user_events in grouped.items():
        user_events.sort(key=lambda e: (e["timestamp"], _tie_rank(_ALL_USERS_TIES, e)))
        result[user] = _epoch_events(user_events, start, opening_balances.get(user, 0), grace_period)
    return result
