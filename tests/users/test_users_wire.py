"""The users group's bodies byte for byte (keys, key order, strings, nulls) as their output serializers
render them: terms of service, patron mode, patrons and UQs (the history's: tests/lifecycle/test_history.py)."""
import json
from decimal import Decimal

from allocations.apis import UqInfoOut, uq_info_row

from tests.fixtures.window import EPOCH, PROJECTS, USERS, sign

ALICE, BOB, CAROL = USERS
P1, P2, P3 = PROJECTS


def wire(body) -> bytes:
    """`body` as DRF's renderer writes it: compact, keys in the order given."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def test_uq_info_row_renders_as_its_serializer():
    for address, uq in [(ALICE.address, "0.01"), (BOB.address, Decimal("0.0")), (CAROL.address, Decimal("1.0"))]:
        row = uq_info_row(address, uq)
        rendered = UqInfoOut({"address": address, "uq": uq}).data
        assert list(row) == list(UqInfoOut().fields) == list(rendered)
        assert row == rendered
        assert [type(value) for value in row.values()] == [type(value) for value in rendered.values()] == [str, str]


def test_user_flag_and_uq_bodies(api, window):  # noqa: F811
    assert api.get(f"/user/{ALICE.address}/tos").content == b'{"accepted":false}'
    assert api.get(f"/user/{ALICE.address}/patron-mode").content == b'{"status":false}'
    assert api.get(f"/user/patrons/{EPOCH}").content == b'{"patrons":[]}'
    assert api.get(f"/user/{BOB.address}/uq/{EPOCH}").content == b'{"uniquenessQuotient":"0.01"}'
    assert api.get(f"/user/{ALICE.address}/uq/{EPOCH}").content == b'{"uniquenessQuotient":"1.0"}'
    assert api.get(f"/user/uq/{EPOCH}/all").content == b'{"uqsInfo":[]}'
    for account in (BOB, ALICE):
        assert api.post("/allocations/allocate", sign(account, [(P1, 10)], 0), format="json").status_code == 201
    assert api.get(f"/user/uq/{EPOCH}/all").content == wire({"uqsInfo": [
        {"userAddress": BOB.address, "uniquenessQuotient": "0.01"},
        {"userAddress": ALICE.address, "uniquenessQuotient": "1.0"}]})
