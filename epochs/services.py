"""Writes about epochs: indexing epoch timing from the chain backend (the snapshots are `lifecycle.snapshots`)."""
from django.db import transaction

from octant.chain.backends import get_chain

from .models import Epoch
from .selectors import ChainView


def epochs_index(*, view: ChainView) -> int:
    """Index the timing of every epoch the chain `view` says has started and that is not indexed yet;
    returns how many rows were added. Idempotent, and safe to run concurrently (the epoch number is unique)."""
    chain = get_chain()
    last = Epoch.objects.order_by("-number").values_list("number", flat=True).first() or 0
    rows = []
    for number in range(last + 1, view.current + 1):
        timing = chain.epoch_timing(number)
        if timing is None:
            break
        rows.append(Epoch(number=number, start=timing.start, duration=timing.duration,
                          decision_window=timing.decision_window))
    if rows:
        with transaction.atomic():
            Epoch.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
