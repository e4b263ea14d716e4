"""A user's history timeline (`/history/{address}`, docs/lifecycle.md §10.2): locks, allocations, withdrawals and patron
donations (composition layer: it reads deposits, allocations, the chain and patron mode)."""
import base64
import binascii
from dataclasses import dataclass

from allocations.models import Allocation, AllocationRequest
from deposits.models import DepositEvent
from deposits.selectors import budget_of
from epochs.models import Epoch, FinalizedEpochSnapshot
from octant.chain.backends import get_chain
from octant.core.exceptions import InvalidInput
from users.selectors import window_patrons

MAX_PAGE = 100


@dataclass(frozen=True)
class ProjectAmount:
    project_address: str
    amount: int


@dataclass(frozen=True)
class HistoryItem:
    """One event of the timeline: `kind` is lock, unlock, allocation, withdrawal or patron_mode_donation;
    the other fields are None where the kind has none."""
    kind: str
    timestamp: int
    amount: int | None = None
    transaction_hash: str | None = None
    epoch: int | None = None
    is_manually_edited: bool | None = None
    leverage: float | None = None
    allocations: list[ProjectAmount] | None = None


def _timeline(address: str) -> list[HistoryItem]:
    items = [HistoryItem(kind, ts, amount=amount, transaction_hash=tx or None) for kind, ts, amount, tx in
             DepositEvent.objects.filter(address=address).values_list("type", "timestamp", "amount",
                                                                       "transaction_hash")]
    allocations: dict[int, list] = {}
    for nonce, project, amount in Allocation.objects.filter(user__address=address).order_by("id").values_list(
            "nonce", "project_address", "amount"):
        allocations.setdefault(nonce, []).append(ProjectAmount(project, amount))
    for request in AllocationRequest.objects.filter(user__address=address):
        items.append(HistoryItem("allocation", request.timestamp or int(request.created_at.timestamp()),
                                 epoch=request.epoch, is_manually_edited=request.is_manually_edited,
                                 leverage=request.leverage, allocations=allocations.get(request.nonce, [])))
    items += [HistoryItem("withdrawal", int(w["timestamp"]), amount=int(w["amount"]),
                          transaction_hash=w.get("transactionHash"), epoch=w.get("epoch"))
              for w in get_chain().withdrawal_events(address)]
    for epoch in FinalizedEpochSnapshot.objects.values_list("epoch", flat=True):
        budget = budget_of(epoch=epoch, address=address)
        timing = Epoch.objects.filter(number=epoch).first()
        if budget and timing and address in window_patrons(epoch=epoch, finalized_at=timing.finalized_at):
            items.append(HistoryItem("patron_mode_donation", timing.finalized_at, amount=budget, epoch=epoch))
    items.sort(key=lambda i: (i.timestamp, i.kind, i.amount or 0, i.transaction_hash or ""), reverse=True)
    return items


def _decode(cursor: str) -> tuple[int, int]:
    try:
        timestamp, offset = base64.urlsafe_b64decode(cursor.encode()).decode().split(".")
        return int(timestamp), int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInput({"cursor": ["Invalid cursor"]})


def _encode(timestamp: int, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{timestamp}.{offset}".encode()).decode()


def history(*, address: str, cursor: str | None, limit: int) -> tuple[list[HistoryItem], str | None]:
    """One page of the user's timeline, newest first (docs/lifecycle.md §10.2). The cursor names the first item of
    the page: its timestamp and how many items of that timestamp come before it."""
    items = _timeline(address)
    start = 0
    if cursor:
        timestamp, offset = _decode(cursor)
        while start < len(items) and items[start].timestamp > timestamp:
            start += 1
        start += offset
    page = items[start:start + min(limit, MAX_PAGE)]
    end = start + len(page)
    if end >= len(items):
        return page, None
    timestamp = items[end].timestamp
    offset = sum(1 for item in items[:end] if item.timestamp == timestamp)
    return page, _encode(timestamp, offset)
