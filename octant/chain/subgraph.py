"""The Octant subgraph read with gql (docs/lifecycle.md §4.1). Every page of one indexing pass is read at the same
pinned block, ordered by block number; a page ends on a complete block (its last, partial block is read
again by the next page), and a block with more events than a page is read through by id. No `skip`."""
import queue
import threading

import requests
from functools import lru_cache

from gql import Client, GraphQLRequest
from graphql import parse
from gql.transport.exceptions import TransportError
from gql.transport.requests import RequestsHTTPTransport

from octant.core.exceptions import ChainUnavailable

FIELDS = {
    "lockeds": "id depositBefore amount user blockNumber timestamp transactionHash",
    "unlockeds": "id depositBefore amount user blockNumber timestamp transactionHash",
    "withdrawals": "id amount epoch user blockNumber timestamp transactionHash",
    "vaultMerkleRoots": "id epoch root blockNumber timestamp transactionHash",
}
EPOCH_FIELDS = "epoch fromTs toTs duration decisionWindow"


class Subgraph:
    def __init__(self, url: str, *, timeout: float, page_size: int = 1000, retries: int = 2):
        if not url:
            raise ChainUnavailable("SUBGRAPH_ENDPOINT is not set")
        self.page_size = page_size
        self.client = Client(transport=RequestsHTTPTransport(url, timeout=timeout, retries=retries),
                             fetch_schema_from_transport=False)

    def _execute(self, session, query: str, **variables) -> dict:
        try:
            return (session or self.client).execute(GraphQLRequest(_parsed(query), variable_values=variables))
        except (TransportError, requests.RequestException) as exc:
            raise ChainUnavailable(f"subgraph: {exc}") from exc

    def head(self) -> int:
        """The block the subgraph has indexed up to."""
        return int(self._execute(None, "{ _meta { block { number } } }")["_meta"]["block"]["number"])

    def epoch(self, number: int) -> dict | None:
        rows = self._execute(None, f"query($n: Int!) {{ epoches(where: {{epoch: $n}}) {{ {EPOCH_FIELDS} }} }}",
                             n=number)["epoches"]
        return rows[0] if rows else None

    def pages(self, entity: str, *, since: int, pinned: int, batch: int = 5000):
        """`_pages` joined into batches of about `batch` rows (fewer commits), the next fetched while the
        caller stores the current one."""
        return _prefetched(_batched(self._pages(entity, since=since, pinned=pinned), batch))

    def _pages(self, entity: str, *, since: int, pinned: int):
        """Yield `(last_block, rows)`: every `entity` row with `since < blockNumber <= pinned`, as read at
        block `pinned`, in pages that each hold complete blocks up to and including `last_block`."""
        fields = FIELDS[entity]
        by_block = (f"query($pin: Int!, $from: Int!, $first: Int!) {{ rows: {entity}(block: {{number: $pin}}, "
                    f"first: $first, orderBy: blockNumber, orderDirection: asc, where: {{blockNumber_gte: $from}}) "
                    f"{{ {fields} }} }}")
        in_block = (f"query($pin: Int!, $block: Int!, $after: Bytes!, $first: Int!) {{ rows: {entity}("
                    f"block: {{number: $pin}}, first: $first, orderBy: id, orderDirection: asc, "
                    f"where: {{blockNumber: $block, id_gt: $after}}) {{ {fields} }} }}")
        start, n = since + 1, self.page_size
        with self.client as session:
            while True:
                rows = self._execute(session, by_block, pin=pinned, **{"from": start}, first=n)["rows"]
                if len(rows) < n:
                    yield pinned, rows
                    return
                last = rows[-1]["blockNumber"]
                if rows[0]["blockNumber"] == last:  # one block holds a whole page or more: read it by id
                    rows, after = [], "0x"
                    while True:
                        page = self._execute(session, in_block, pin=pinned, block=last, after=after, first=n)["rows"]
                        rows += page
                        if len(page) < n:
                            break
                        after = page[-1]["id"]
                    yield last, rows
                    start = last + 1
                else:
                    yield last - 1, [r for r in rows if r["blockNumber"] < last]
                    start = last


SABLIER_ACTION_FIELDS = "id category addressA addressB amountA amountB timestamp hash"
SABLIER_CATEGORIES = "category_in: [Create, Withdraw, Cancel]"


class SablierSubgraph(Subgraph):
    """The Sablier lockup subgraph (docs/lifecycle.md §4.3): GLM streams of one sender with their Create, Withdraw
    and Cancel actions, read at one pinned block, paged by stream id (and, for a stream with more actions
    than a page, by action id)."""

    def streams(self, *, sender: str, token: str, pinned: int):
        """Yield pages (lists) of streams, each with all its actions (`actions`, in id order)."""
        streams = ("query($pin: Int!, $sender: String!, $token: String!, $after: String!, $first: Int!) { "
                   "rows: lockupStreams(block: {number: $pin}, first: $first, orderBy: id, orderDirection: asc, "
                   "where: {sender: $sender, asset_: {address: $token}, id_gt: $after}) { "
                   "id intactAmount canceled endTime depositAmount recipient "
                   f"actions(first: $first, orderBy: id, orderDirection: asc, where: {{{SABLIER_CATEGORIES}}}) "
                   f"{{ {SABLIER_ACTION_FIELDS} }} }} }}")
        more = ("query($pin: Int!, $stream: String!, $after: String!, $first: Int!) { "
                "rows: lockupStreams(block: {number: $pin}, where: {id: $stream}) { "
                f"actions(first: $first, orderBy: id, orderDirection: asc, where: {{{SABLIER_CATEGORIES}, "
                f"id_gt: $after}}) {{ {SABLIER_ACTION_FIELDS} }} }} }}")
        after, n = "", self.page_size
        with self.client as session:
            while True:
                page = self._execute(session, streams, pin=pinned, sender=sender.lower(), token=token.lower(),
                                     after=after, first=n)["rows"]
                for stream in page:
                    actions = stream["actions"]
                    while len(actions) and len(actions) % n == 0:
                        [row] = self._execute(session, more, pin=pinned, stream=stream["id"],
                                              after=actions[-1]["id"], first=n)["rows"]
                        if not row["actions"]:
                            break
                        actions += row["actions"]
                if page:
                    yield page
                if len(page) < n:
                    return
                after = page[-1]["id"]


@lru_cache(maxsize=64)
def _parsed(query: str):
    return parse(query)


def _batched(pages, size: int):
    rows, last = [], None
    for last, page in pages:
        rows += page
        if len(rows) >= size:
            yield last, rows
            rows = []
    if rows or last is not None:
        yield last, rows


def _prefetched(pages, depth: int = 2):
    """Run the page generator in a thread, `depth` pages ahead; its exceptions reach the caller."""
    ready, stop, done = queue.Queue(depth), threading.Event(), object()

    def produce():
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        ready.put(page, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ready.put(done)
        except BaseException as exc:  # handed to the consumer
            ready.put(exc)

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
