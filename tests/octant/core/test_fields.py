import pytest
from django.db import connection

from epochs.models import FinalizedEpochSnapshot, PendingEpochSnapshot
from octant.core.fields import sum_wei

BIG = 2**256 - 1


def _pending(epoch, amount):
    return PendingEpochSnapshot.objects.create(
        epoch=epoch, eth_proceeds=amount, total_effective_deposit=0, locked_ratio="0", total_rewards=0,
        vanilla_individual_rewards=0, operational_cost=0)


def test_wei_field_round_trips_2_to_the_256_exactly(db):
    _pending(1, BIG)
    assert PendingEpochSnapshot.objects.get(epoch=1).eth_proceeds == BIG


def test_wei_field_orders_filters_and_sums_numerically(db):
    for epoch, amount in enumerate([9, 10, 10**30, BIG // 4], start=1):
        _pending(epoch, amount)
    qs = PendingEpochSnapshot.objects.order_by("eth_proceeds")
    assert list(qs.values_list("eth_proceeds", flat=True)) == [9, 10, 10**30, BIG // 4]
    assert PendingEpochSnapshot.objects.filter(eth_proceeds__gt=9).count() == 3
    assert sum_wei(PendingEpochSnapshot.objects.all(), "eth_proceeds") == 19 + 10**30 + BIG // 4


def test_wei_field_refuses_negative_and_too_large_values(db):
    with pytest.raises(ValueError):
        _pending(1, -1)
    with pytest.raises(ValueError):
        _pending(2, 2**256)


def test_signed_wei_field_keeps_negative_values(db):
    FinalizedEpochSnapshot.objects.create(epoch=1, matched_rewards=0, leftover=-(10**40))
    assert FinalizedEpochSnapshot.objects.get().leftover == -(10**40)


def test_database_column_type(db):
    field = PendingEpochSnapshot._meta.get_field("eth_proceeds")
    assert field.db_type(connection) == "numeric(78, 0)"
