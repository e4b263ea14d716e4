"""Reads about deposits: epoch events from the index, effective deposits, stored deposits and budgets."""
from django.conf import settings
from django.db import connection

from deposits import engine
from epochs import selectors as epoch_selectors
from epochs.models import PendingEpochSnapshot
from epochs.rules import epoch_rules
from octant.core.fields import sum_wei
from octant.core.db import keyset_chunks
from rewards.variants import variant
from users.selectors import window_patrons

from .models import Budget, Deposit, DepositEvent, SablierStream

_FIELDS = ("address", "type", "amount", "before", "after", "timestamp", "source")


def grace_period() -> int:
    """The Sablier grace period (docs/rewards.md §2.1): 24 h on mainnet, 15 min elsewhere."""
    return engine.GRACE_PERIOD_MAINNET if settings.CHAIN_ID == 1 else engine.GRACE_PERIOD_TESTNET


def _as_engine_events(queryset):
    for address, kind, amount, before, after, timestamp, source in queryset.values_list(*_FIELDS).iterator(
        chunk_size=20_000
    ):
        yield {"user": address, "type": kind, "amount": amount, "before": before, "after": after,
               "timestamp": timestamp, "source": source}


def opening_balances(*, epoch: int, start: int, address: str | None = None) -> dict[str, int]:
    """Each user's locked balance when `epoch` starts: the previous epoch's `epoch_end_deposit` rows (the
    chain of balances the reference keeps); where that epoch was never snapshotted (epoch 1, or an
    estimate taken before the snapshot), the balance after the user's last event before `start`."""
    if PendingEpochSnapshot.objects.filter(epoch=epoch - 1).exists():
        previous = Deposit.objects.filter(epoch=epoch - 1)
        if address:
            previous = previous.filter(address=address)
        return dict(previous.values_list("address", "epoch_end_deposit").iterator(chunk_size=20_000))
    events = DepositEvent.objects.filter(timestamp__lt=start).order_by("timestamp", "id")
    if address:
        events = events.filter(address=address)
    balances = {}
    for user, after in events.values_list("address", "after").iterator(chunk_size=20_000):
        balances[user] = after
    return {user: balance for user, balance in balances.items() if balance or address}


def _rules(epoch: int):
    rules = epoch_rules()
    return variant(epoch, rules=rules).with_unlocks, engine.cut_off_rule(epoch, rules=rules)


def epoch_events_by_user(*, epoch: int, start: int, end: int, address: str | None = None) -> dict:
    """Every user's events of `epoch` in [start, end] from the index, carry-in first (docs/rewards.md §2.1)."""
    events = DepositEvent.objects.filter(timestamp__gte=start, timestamp__lte=end).order_by("timestamp", "id")
    if address:
        events = events.filter(address=address)
    return engine.epoch_events_by_user(
        _as_engine_events(events), start, end,
        opening_balances=opening_balances(epoch=epoch, start=start, address=address),
        grace_period=grace_period(),
    )


def effective_deposits(*, epoch: int, start: int, end: int, address: str | None = None) -> engine.EffectiveDeposits:
    """Every user's effective deposit (after the cut-off) over [start, end] of `epoch`, from indexed events
    and the carry-in of the previous epoch (docs/rewards.md §2), with the epoch's variant. `address` limits it to
    one user (the total is then that user's)."""
    by_user = epoch_events_by_user(epoch=epoch, start=start, end=end, address=address)
    with_unlocks, cut_off = _rules(epoch)
    return engine.effective_deposits(by_user, start, end, with_unlocks=with_unlocks, cut_off=cut_off)


def user_effective_deposit(*, epoch: int, start: int, end: int, address: str) -> int:
    deposits = effective_deposits(epoch=epoch, start=start, end=end, address=address).deposits
    return deposits[0].effective_deposit if deposits else 0


def stored_deposit(*, epoch: int, address: str) -> Deposit | None:
    return Deposit.objects.filter(epoch=epoch, address=address).first()


def budget_sql() -> str:
    """The one read of a user's budget, as SQL that a statement reading more can fold in (parameters: the
    epoch, the address): the amount, or no row. `budget_of` runs it."""
    return f"SELECT amount FROM {connection.ops.quote_name(Budget._meta.db_table)} WHERE epoch = %s AND address = %s"


def budget_of(*, epoch: int, address: str) -> int | None:
    """The user's budget in `epoch`; None if they have none."""
    with connection.cursor() as cursor:
        cursor.execute(budget_sql(), [epoch, address])
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def budgets(*, epoch: int) -> list[tuple[str, int]]:
    return list(Budget.objects.filter(epoch=epoch).order_by("address").values_list("address", "amount"))


def budgets_by_address(*, epoch: int) -> dict[str, int]:
    """{address: budget} of every user with a budget in `epoch`."""
    return dict(Budget.objects.filter(epoch=epoch).values_list("address", "amount"))


def budgets_chunks(*, epoch: int):
    """The epoch's budgets by address, in chunks of `(address, amount)` read by keyset (streamed by the
    API, which renders each row)."""
    return keyset_chunks(Budget.objects.filter(epoch=epoch), key="address", fields=("address", "amount"),
                         make=lambda address, amount: (address, amount))


def budgets_version(*, epoch: int) -> str | None:
    """A key of the epoch's budgets for answers kept per state: the budgets are written once, with the
    epoch's pending snapshot in one transaction, so its id names them. None without a pending snapshot (no
    budgets yet, or rows loaded by hand): not to be kept."""
    snapshot = PendingEpochSnapshot.objects.filter(epoch=epoch).values_list("id", flat=True).first()
    return None if snapshot is None else f"{epoch}:{snapshot}"


def patrons_rewards(*, epoch: int, patrons) -> int:
    """Σ of the patrons' budgets in `epoch` (docs/rewards.md §3.8; a patron without a budget adds 0), summed in the
    database."""
    patrons = set(patrons)
    return sum_wei(Budget.objects.filter(epoch=epoch, address__in=patrons), "amount") if patrons else 0


def epoch_patrons(*, epoch: int) -> list[str]:
    """Users in patron mode when the epoch's allocation window closed, with a budget in it."""
    patrons = window_patrons(epoch=epoch)
    with_budget = set(Budget.objects.filter(epoch=epoch, address__in=patrons, amount__gt=0).values_list(
        "address", flat=True))
    return [p for p in patrons if p in with_budget]


# --- estimates for the current epoch and beyond ---------------------------------------------------------


def current_epoch_effective_deposits(*, view: epoch_selectors.ChainView,
                                     address: str | None = None) -> engine.EffectiveDeposits:
    """The effective deposits of the `view`'s current epoch at its planned end, assuming no further events."""
    details = epoch_selectors.epoch_details(epoch=view.current)
    return effective_deposits(epoch=view.current, start=details.start, end=details.end, address=address)


def current_epoch_effective_deposit(*, address: str, view: epoch_selectors.ChainView) -> int:
    deposits = current_epoch_effective_deposits(view=view, address=address).deposits
    return deposits[0].effective_deposit if deposits else 0


# --- Sablier streams (docs/lifecycle.md §4.3) --------------------------------------------------------------


def sablier_streams(*, address: str | None = None) -> list[dict]:
    """Indexed Sablier streams of GLM (one recipient's, or everyone's), oldest first: `amount` (the deposit),
    `end_time` (when it can all be withdrawn), `cancelled`, `remaining_amount` (still in the stream) and
    `recipient`."""
    streams = SablierStream.objects.all()
    if address:
        streams = streams.filter(recipient=address)
    return [{"amount": s.deposit_amount, "end_time": s.end_time, "cancelled": s.cancelled,
             "remaining_amount": s.intact_amount, "recipient": s.recipient}
            for s in streams.order_by("start_time", "id")]
