"""The big lists (allocations of an epoch, donors, budgets) are streamed in chunks, byte for byte what the
renderer wrote for the whole list."""
import pytest

from allocations import selectors
from deposits.models import Budget
from octant.core.db import keyset_chunks
from octant.web.http import JSONRenderer, json_list_response

from tests.fixtures.window import EPOCH, PROJECTS, USERS, sign

P1, P2, P3 = PROJECTS


def _allocate(api):
    for nonce, allocations in enumerate([[(P1, 10**15), (P2, 0)], [(P3, 5), (P1, 7)]]):
        for account in USERS:
            assert api.post("/allocations/allocate", sign(account, allocations, nonce),
                            format="json").status_code == 201


def _rendered(data) -> bytes:
    return JSONRenderer().render(data)


def test_lists_equal_the_rendered_whole(api, window):
    _allocate(api)
    for include in (False, True):
        rows = selectors.epoch_allocations(epoch=EPOCH, include_zero=include)
        response = api.get(f"/allocations/epoch/{EPOCH}?includeZeroAllocations={str(include).lower()}")
        assert response.streaming and response["Content-Type"] == "application/json"
        assert b"".join(response.streaming_content) == _rendered(
            {"allocations": [{"donor": d, "amount": str(a), "project": p} for d, a, p in rows]})
    donors = api.get(f"/allocations/donors/{EPOCH}")
    assert b"".join(donors.streaming_content) == _rendered({"donors": selectors.donors(epoch=EPOCH)})
    assert len(selectors.donors(epoch=EPOCH)) == 3
    budgets = api.get(f"/rewards/budgets/epoch/{EPOCH}")
    assert b"".join(budgets.streaming_content) == _rendered({"budgets": [
        {"address": a, "amount": str(b)} for a, b in Budget.objects.filter(epoch=EPOCH).order_by("address")
        .values_list("address", "amount")]})
    empty = api.get("/allocations/epoch/1")
    assert empty.json() == {"allocations": []}


def test_chunks_cover_every_row_once(api, window):
    _allocate(api)
    rows = selectors.live_allocations(epoch=EPOCH)
    for size in (1, 2, 5, 6, 100):
        chunks = list(keyset_chunks(rows, key="id", fields=("id", "amount"), make=lambda i, a: (i, a), size=size))
        assert all(0 < len(c) <= size for c in chunks)
        assert [r for c in chunks for r in c] == list(rows.order_by("id").values_list("id", "amount"))


@pytest.mark.django_db(transaction=True)
async def test_asgi_pulls_one_chunk_at_a_time():
    """Under ASGI the body is produced chunk by chunk in the sync thread, not gathered first."""
    pulled = []

    def chunks():
        for n in range(3):
            pulled.append(n)
            yield [{"n": n}]

    response = json_list_response("items", chunks())
    parts = []
    async for part in response:
        parts.append(part)
        if len(parts) == 2:
            assert pulled == [0]  # the opening and the first chunk: nothing read ahead
    assert b"".join(parts) == b'{"items":[{"n":0},{"n":1},{"n":2}]}'
