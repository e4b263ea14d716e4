"""Writes to the deposit index that every chain backend shares: the backend returns its events and streams
(`ChainBackend.deposit_event_batches`, `sablier_stream_batches`), these store them."""
from collections.abc import Callable, Iterable, Mapping

from django.db import transaction
from django.utils import timezone

from octant.chain.backends import get_chain
from octant.core.addresses import checksum
from octant.core.fields import MAX_WEI

from . import engine
from .models import DepositEvent, SablierStream

# equal timestamps keep the per-user order of the reference: Octant locks, Octant unlocks, Sablier
_TIES = {(DepositEvent.Source.OCTANT, DepositEvent.Type.LOCK): 0,
         (DepositEvent.Source.OCTANT, DepositEvent.Type.UNLOCK): 1}


def deposit_events_sync(*, progress: Callable | None = None) -> int:
    """Store the chain backend's new Octant lock/unlock events: each batch with its cursor in one transaction,
    so a sync that fails midway stores nothing of the failed batch and the next one resumes from it, and a
    re-sync adds nothing. `progress(entity, done, block, since, pinned)` after each batch paged by block.
    Returns how many events were added."""
    added, done = 0, {}
    for batch in get_chain().deposit_event_batches():
        with transaction.atomic():
            added += deposit_events_store(events=batch.rows)
            batch.commit()
        done[batch.entity] = done.get(batch.entity, 0) + len(batch.rows)
        if progress and batch.block is not None:
            progress(batch.entity, done[batch.entity], batch.block, batch.since, batch.pinned)
    return added


def _stream_fields(stream: Mapping) -> tuple:
    """What `SablierStream` keeps of a subgraph stream: (intact, cancelled, withdrawn, deposit amounts)."""
    withdrawn = sum(int(a["amountB"]) for a in stream.get("actions") or [] if a["category"] == "Withdraw")
    return int(stream["intactAmount"]), bool(stream["canceled"]), withdrawn, int(stream["depositAmount"])


def sablier_streams_sync() -> int:
    """Store the chain backend's Sablier GLM streams (docs/lifecycle.md §4.3) and their actions: of each batch, the
    new or changed streams (a new action always changes the intact amount, or cancels), with the batch's
    cursor in one transaction, so an outage midway loses nothing and a re-sync adds nothing. Returns how many
    events were added."""
    chain = get_chain()
    known = {row[0]: row[1:] for row in SablierStream.objects.values_list(
        "stream_id", "intact_amount", "cancelled", "withdrawn_amount", "deposit_amount")}
    added = 0
    for batch in chain.sablier_stream_batches():
        changed = [s for s in batch.rows if known.get(s["id"]) != _stream_fields(s)]
        with transaction.atomic():
            if changed:
                added += sablier_streams_index(streams=changed, excluded=chain.sablier_excluded_streams())
            batch.commit()
    return added


def _stream_number(stream_id: str) -> int | None:
    tail = str(stream_id).rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else None


@transaction.atomic
def sablier_streams_index(*, streams: Iterable[Mapping], excluded: Iterable[int] = ()) -> int:
    """Store Sablier subgraph `lockupStreams` (docs/lifecycle.md §4.3: `id intactAmount canceled endTime
    depositAmount recipient` and `actions {category addressA addressB amountA amountB timestamp hash}`) as
    `SablierStream` rows and their Create/Withdraw/Cancel actions as deposit events of source "sablier".
    Idempotent: a re-read stream updates its row and adds only actions not seen before. Streams whose id
    ends in a number of `excluded` (the reference's incorrectly cancelled ones) are skipped. The running
    balances (`before`/`after`) of every touched address are recomputed over all its events, Octant and
    Sablier, in time order. Returns how many events were added. `sablier_streams_sync` calls this with what
    the chain backend returns (the Sablier subgraph's streams, or the local chain's in their shape)."""
    excluded = set(excluded)
    added, touched = 0, set()
    for stream in streams:
        if _stream_number(stream["id"]) in excluded:
            continue
        recipient = checksum(stream["recipient"])
        actions = sorted(stream.get("actions") or [], key=lambda a: int(a["timestamp"]))
        created = next((a for a in actions if a["category"] == "Create"), None)
        SablierStream.objects.update_or_create(stream_id=stream["id"], defaults={
            "recipient": recipient, "deposit_amount": int(stream["depositAmount"]),
            "intact_amount": int(stream["intactAmount"]), "end_time": int(stream["endTime"]),
            "cancelled": bool(stream["canceled"]),
            "start_time": int(created["timestamp"]) if created else int(stream["endTime"]),
            "withdrawn_amount": sum(int(a["amountB"]) for a in actions if a["category"] == "Withdraw")})
        kept = [a for a in actions if a["category"] in ("Create", "Withdraw", "Cancel")]
        for index, (action, event) in enumerate(zip(kept, engine.sablier_events(kept))):
            key = f"sablier:{stream['id']}:{index}:{action['category']}"
            _, new = DepositEvent.objects.get_or_create(key=key, defaults={
                "address": recipient, "type": event["type"], "amount": event["amount"], "before": 0, "after": 0,
                "timestamp": event["timestamp"], "source": DepositEvent.Source.SABLIER,
                "transaction_hash": action.get("hash") or ""})
            added += new
        touched.add(recipient)
    for address in sorted(touched):
        _rebalance(address)
    return added


def _rebalance(address: str) -> None:
    events = sorted(DepositEvent.objects.filter(address=address),
                    key=lambda e: (e.timestamp, _TIES.get((e.source, e.type), 2), e.id))
    balance, changed = 0, []
    for event in events:
        after = balance + event.amount if event.type == DepositEvent.Type.LOCK else balance - event.amount
        if (event.before, event.after) != (balance, after):
            event.before, event.after = balance, after
            changed.append(event)
        balance = after
    DepositEvent.objects.bulk_update(changed, ["before", "after"])


_COLUMNS = ("key", "address", "type", "amount", "before", "after", "timestamp", "source", "transaction_hash",
            "block_number", "created_at")


@transaction.atomic
def deposit_events_store(*, events: list[dict]) -> int:
    """Store indexed events (dicts with `key`, `address`, `type`, `amount`, `before`, `after`, `timestamp`
    and optionally `source`, `transaction_hash`, `block_number`) in chain order; a key already stored is
    skipped, so re-indexing adds nothing. Returns how many were added.

    COPY the rows (text format, built as one string) into a temporary table, then one INSERT ... SELECT ...
    ON CONFLICT DO NOTHING whose row count is the number added; no lookup of existing keys first. About 3x
    faster than one INSERT per row for the million-event backfill of a new deployment."""
    if not events:
        return 0
    events = sorted(events, key=lambda e: (e.get("block_number") or 0, e["timestamp"]))
    db = transaction.get_connection()

    def w(value: int) -> str:
        if not 0 <= value <= MAX_WEI:
            raise ValueError(f"amount out of range: {value}")
        return str(value)

    def t(value: str) -> str:  # COPY text format escapes
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")

    octant, null = DepositEvent.Source.OCTANT, "\\N"
    data = "".join(
        f"{t(e['key'])}\t{t(e['address'])}\t{t(e['type'])}\t{w(e['amount'])}\t{w(e['before'])}\t{w(e['after'])}\t"
        f"{int(e['timestamp'])}\t{t(e.get('source', octant))}\t{t(e.get('transaction_hash', ''))}\t"
        f"{null if e.get('block_number') is None else int(e['block_number'])}\n" for e in events)
    quote = db.ops.quote_name
    names = ", ".join(quote(DepositEvent._meta.get_field(name).column) for name in _COLUMNS[:-1])
    table = quote(DepositEvent._meta.db_table)
    with db.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE _indexed_events ON COMMIT DROP AS SELECT {names} FROM {table} "
                       f"WITH NO DATA")
        with cursor.connection.cursor().copy(f"COPY _indexed_events ({names}) FROM STDIN") as copy:
            copy.write(data)
        cursor.execute(f"INSERT INTO {table} ({names}, {quote('created_at')}) SELECT {names}, %s FROM _indexed_events "
                       f"ON CONFLICT ({quote('key')}) DO NOTHING", [timezone.now()])
        added = cursor.rowcount
        cursor.execute("DROP TABLE _indexed_events")
    return added
