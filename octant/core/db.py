"""Database helpers: keyset paging, for lists read a page at a time without a cursor held between pages."""


def keyset_chunks(queryset, *, key: str, fields: tuple, make, size: int = 20_000):
    """The rows of `queryset` in `key` order, read `size` at a time, each chunk a fresh query after the last
    key seen (no cursor held between chunks), each row turned into an item by `make(*fields)`; `key` must be
    unique in the queryset and be the first of `fields`."""
    def fetch(last, size):
        rows = queryset.order_by(key)
        if last is not None:
            rows = rows.filter(**{f"{key}__gt": last})
        return list(rows.values_list(*fields)[:size])

    for rows in keyset_pages(fetch, size=size):
        yield [make(*row) for row in rows]


def keyset_pages(fetch, *, size: int = 20_000):
    """Pages of rows from `fetch(last, size)`, which returns at most `size` rows after key `last` (None for the
    first page) in key order, the key first in each row; each page a fresh query, no cursor held between."""
    last = None
    while True:
        rows = fetch(last, size)
        if not rows:
            return
        last = rows[-1][0]
        yield rows
        if len(rows) < size:
            return
