"""A user's history timeline (`/history/{address}`, api.md §1.11): locks, allocations, withdrawals and patron
donations (composition layer: it reads deposits, allocations, the chain and patron mode)."""
import base64
import binascii

from allocations.models import Allocation, AllocationRequest
from deposits.models import DepositEvent
from deposits.selectors import budget_of
from octant.chain.backends import get_chain
from octant.core.api import RequestValidationError
from users.selectors import window_patrons

from .models import Epoch, FinalizedEpochSnapshot

MAX_PAGE = 100


def _item(kind, timestamp, *, amount=None, tx=None, epoch=None, edited=None, leverage=None, allocations=None):
    return {"type": kind, "timestamp": str(timestamp), "eventData": {
        "amount": None if amount is None else str(amount), "transactionHash": tx, "epoch": epoch,
        "isManuallyEdited": edited, "leverage": leverage, "allocations": allocations}}


def _timeline(address: str) -> list[dict]:
    items = [_item(kind, ts, amount=amount, tx=tx or None) for kind, ts, amount, tx in
             DepositEvent.objects.filter(address=address).values_list("type", "timestamp", "amount",
                                                                       "transaction_hash")]
    allocations: dict[int, list] = {}
    for nonce, project, amount in Allocation.objects.filter(user__address=address).order_by("id").values_list(
            "nonce", "project_address", "amount"):
        allocations.setdefault(nonce, []).append({"projectAddress": project, "amount": str(amount)})
    for request in AllocationRequest.objects.filter(user__address=address):
        items.append(_item("allocation", request.timestamp or int(request.created_at.timestamp()), epoch=request.epoch,
                           edited=request.is_manually_edited,
                           leverage=None if request.leverage is None else str(request.leverage),
                           allocations=allocations.get(request.nonce, [])))
    items += [_item("withdrawal", w["timestamp"], amount=w["amount"], tx=w.get("transactionHash"),
                    epoch=w.get("epoch")) for w in get_chain().withdrawal_events(address)]
    for epoch in FinalizedEpochSnapshot.objects.values_list("epoch", flat=True):
        budget = budget_of(epoch=epoch, address=address)
        timing = Epoch.objects.filter(number=epoch).first()
        if budget and timing and address in window_patrons(epoch=epoch, finalized_at=timing.finalized_at):
            items.append(_item("patron_mode_donation", timing.finalized_at, amount=budget, epoch=epoch))
    items.sort(key=lambda i: (int(i["timestamp"]), i["type"], int(i["eventData"]["amount"] or 0),
                              i["eventData"]["transactionHash"] or ""), reverse=True)
    return items


def _decode(cursor: str) -> tuple[int, int]:
    try:
        timestamp, offset = base64.urlsafe_b64decode(cursor.encode()).decode().split(".")
        return int(timestamp), int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise RequestValidationError({"cursor": ["Invalid cursor"]})


def _encode(timestamp: int, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{timestamp}.{offset}".encode()).decode()


def history(*, address: str, cursor: str | None, limit: int) -> tuple[list[dict], str | None]:
    """One page of the user's timeline, newest first (api.md §1.11). The cursor names the first item of
    the page: its timestamp and how many items of that timestamp come before it."""
    items = _timeline(address)
    start = 0
    if cursor:
        timestamp, offset = _decode(cursor)
        while start < len(items) and int(items[start]["timestamp"]) > timestamp:
            start += 1
        start += offset
    page = items[start:start + min(limit, MAX_PAGE)]
    end = start + len(page)
    if end >= len(items):
        return page, None
    timestamp = items[end]["timestamp"]
    offset = sum(1 for item in items[:end] if item["timestamp"] == timestamp)
    return page, _encode(int(timestamp), offset)
