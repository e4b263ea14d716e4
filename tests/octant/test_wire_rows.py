"""The rows of the big and hot lists are rendered by plain functions (a DRF serializer costs ~15 µs a row,
~25x a dict): each equals, key for key and in order, what the serializer that documents it (the schema's)
renders through its declared fields, so schema and wire cannot drift."""
import pytest
from rest_framework import serializers

from allocations import apis as allocation_apis
from allocations.engine import ProjectReward
from deposits.engine import UserDeposit
from lifecycle import apis as lifecycle_apis
from octant.web.api import OutputSerializer, WeiStringField

ADDRESS = "0x1111111111111111111111111111111111111111"
AMOUNTS = [0, 1, 10**18, 2**256 - 1]


def declared(serializer_class, row) -> list:
    """What the serializer's declared fields render for `row` (DRF's own to_representation)."""
    return list(serializers.Serializer.to_representation(serializer_class(), row).items())


def rendered(serializer_class, row) -> list:
    items = list(serializer_class(row).data.items())
    assert [type(value) for _, value in items] == [str] * len(items)  # addresses and wei as strings
    return items


@pytest.mark.parametrize("amount", AMOUNTS)
def test_the_row_functions_render_as_their_serializers_declare(amount):
    cases = [
        (allocation_apis.AddressAmount, {"address": ADDRESS, "amount": amount}),
        (allocation_apis.ProjectRewardOut, ProjectReward(ADDRESS, amount, amount // 3)),
        (lifecycle_apis.SimulatedDeposit, UserDeposit(ADDRESS, amount // 2, amount)),
        (lifecycle_apis.SimulatedBudget, {"address": ADDRESS, "amount": amount}),
        (lifecycle_apis.SimulatedUserReward, {"address": ADDRESS, "amount": amount}),
    ]
    for serializer_class, row in cases:
        assert rendered(serializer_class, row) == declared(serializer_class, row), serializer_class.__name__
        assert [name for name, _ in declared(serializer_class, row)] == list(serializer_class().fields)


@pytest.mark.parametrize("amount", AMOUNTS)
def test_the_streamed_rows_render_as_their_serializers_declare(amount):
    row = allocation_apis.donor_allocation_row(ADDRESS, amount, ADDRESS.replace("1", "2"))
    fields = {"donor": ADDRESS, "amount": amount, "project": ADDRESS.replace("1", "2")}
    assert list(row.items()) == declared(allocation_apis.DonorAllocation, fields)
    assert [type(value) for value in row.values()] == [str, str, str]
    # the donors list streams the selector's addresses as they are: strings, as its serializer declares
    child = allocation_apis.Donors().fields["donors"].child
    assert type(child) is serializers.CharField and child.to_representation(ADDRESS) == ADDRESS


def test_the_documenting_serializers_are_the_schemas():
    """The serializers above are the ones the endpoints' schemas name."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    for name in ("AddressAmount", "ProjectRewardOut", "DonorAllocation", "SimulatedDeposit", "SimulatedBudget",
                 "SimulatedUserReward"):
        serializer_class = getattr(allocation_apis, name, None) or getattr(lifecycle_apis, name)
        assert list(schema[name]["properties"]) == list(serializer_class().fields), name
    assert schema["EpochAllocations"]["properties"]["allocations"]["items"] == {
        "$ref": "#/components/schemas/DonorAllocation"}
    assert schema["Donors"]["properties"]["donors"]["items"] == {"type": "string"}


def test_output_serializers_build_their_fields_once_and_render_each_answer():
    class Pair(OutputSerializer):
        address = serializers.CharField()
        amount = WeiStringField(allow_null=True)

    class Pairs(OutputSerializer):
        pairs = Pair(many=True)
        total = WeiStringField(source="sum")

    assert Pairs({"pairs": [{"address": "a", "amount": 1}], "sum": 1}).data == {
        "pairs": [{"address": "a", "amount": "1"}], "total": "1"}
    assert Pairs({"pairs": [{"address": "b", "amount": None}, {"address": "c", "amount": 2}], "sum": 2}).data == {
        "pairs": [{"address": "b", "amount": None}, {"address": "c", "amount": "2"}], "total": "2"}
    assert Pair([{"address": "d", "amount": 0}], many=True).data == [{"address": "d", "amount": "0"}]
    assert Pairs().fields is Pairs().fields and Pairs().fields["pairs"].child.fields is Pair().fields
    assert list(Pair().fields) == ["address", "amount"]
    assert Pairs().fields["total"].parent.instance is None  # bound to a prototype: no answer kept alive


def test_the_streamed_allocations_text_is_the_encoders():
    """The epoch's allocations are written as JSON text directly: the same bytes as the encoder writes for
    their `donor_allocation_row` dicts."""
    import json

    rows = [(ADDRESS, str(amount), ADDRESS.replace("1", "2")) for amount in AMOUNTS]
    expected = json.dumps([allocation_apis.donor_allocation_row(*row) for row in rows], separators=(",", ":"),
                          ensure_ascii=False)[1:-1]
    assert allocation_apis.donor_allocations_json(rows) == expected
