"""The OpenAPI schema says what the API accepts and what its errors look like (issue 25, item 11); the whole
of it is checked against the API by tests/octant/test_schemathesis.py, the cases named in the issue here."""
import re

import pytest

from tests.fixtures.window import EPOCH


@pytest.fixture
def schema(api, db):
    return api.get("/api/schema/?format=json").json()


def test_formats_of_addresses_amounts_and_epochs(schema):
    parts = schema["components"]["schemas"]
    item = parts["AllocationItemInputRequest"]["properties"]
    assert item["proposalAddress"]["pattern"] == "^0x[0-9a-fA-F]{40}$"
    text, number = item["amount"]["anyOf"]
    assert (text["type"], text["pattern"]) == ("string", "^[0-9]{1,77}$")
    assert (number["type"], number["minimum"], number["maximum"]) == ("integer", 0, 2**256 - 1)
    budget = parts["EstimatedBudgetByDaysInputRequest"]["properties"]
    assert budget["days"]["minimum"] == 1 and budget["glmAmount"]["anyOf"][1]["maximum"] == 10**27
    delegation = parts["DelegationInputRequest"]["properties"]
    assert delegation["primaryAddr"]["pattern"] == "^0x[0-9a-fA-F]{40}$"
    assert re.fullmatch(delegation["primaryAddrSignature"]["pattern"], "0xab")
    assert not re.fullmatch(delegation["primaryAddrSignature"]["pattern"], "  ")
    assert not re.fullmatch(delegation["primaryAddrSignature"]["pattern"], "0x\x00")
    answer = parts["EstimatedBudgetByDaysOut"]["properties"]["budget"]
    assert (answer["type"], answer["pattern"]) == ("string", "^[0-9]{1,77}$")  # answers: strings only
    paths = schema["paths"]
    check = {p["name"]: p["schema"] for p in paths["/delegation/check/{user_addresses}"]["get"]["parameters"]}
    assert re.fullmatch(check["user_addresses"]["pattern"], ",".join(["0x" + "ab" * 20] * 2))
    assert not re.fullmatch(check["user_addresses"]["pattern"], "0x" + "ab" * 20)
    pending = paths["/multisig-signatures/pending/{user_address}/type/{op_type}"]["get"]["parameters"]
    assert {p["name"]: p["schema"] for p in pending}["op_type"]["enum"] == ["allocation", "tos"]
    history = {p["name"]: p["schema"] for p in paths["/history/{user_address}"]["get"]["parameters"]}
    assert history["limit"]["minimum"] == 1
    epoch = {p["name"]: p["schema"] for p in paths["/epochs/info/{epoch_number}"]["get"]["parameters"]}
    assert (epoch["epoch_number"]["minimum"], epoch["epoch_number"]["maximum"]) == (0, 2**31 - 1)


def test_error_responses_show_real_bodies(schema):
    """Swagger UI shows each error's examples, not `additionalProp1` placeholders."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status in ("400", "403", "404", "409", "429"):
                examples = operation["responses"][status]["content"]["application/json"]["examples"]
                assert examples and all(example["value"]["message"] for example in examples.values()), (path, status)
    allocate = schema["paths"]["/allocations/allocate"]["post"]["responses"]
    assert allocate["400"]["content"]["application/json"]["examples"]["invalid"]["value"] == {
        "message": "Invalid request: userAddress: Invalid address: 0x12",
        "errors": {"userAddress": ["Invalid address: 0x12"]}}
    assert allocate["413"]["content"]["application/json"]["examples"]["too_large"]["value"]["message"]
    prices = schema["paths"]["/cps/simple/price"]["get"]["responses"]["400"]["content"]["application/json"]
    assert prices["examples"]["invalid"]["value"]["errors"] == {"ids": ["This query parameter is required."]}


@pytest.mark.parametrize("flag, status", [("true", 200), ("false", 200), ("null", 400), ("yes please", 400)])
def test_include_zero_allocations_is_true_or_false(api, window, flag, status):
    response = api.get(f"/allocations/epoch/{EPOCH}?includeZeroAllocations={flag}")
    assert response.status_code == status, response.content[:200]
    if status == 400:
        assert response.json()["errors"] == {"includeZeroAllocations": [f"Must be true or false, got '{flag}'"]}


@pytest.mark.parametrize("body", [{"glmAmount": 0, "days": 0}, {"glmAmount": " 5", "days": 1}])
def test_budget_by_days_refuses_what_the_schema_refuses(api, window, body):
    response = api.post("/rewards/estimated_budget/by_days", body, format="json")
    assert response.status_code == 400, response.content[:200]


@pytest.mark.parametrize("path, body", [
    ("/rewards/estimated_budget", {"glmAmount": "1000", "numberOfEpochs": "١"}),
    ("/rewards/estimated_budget/by_days", {"glmAmount": "1000", "days": "٣"}),
    ("/rewards/estimated_budget/by_days", {"glmAmount": "1000", "days": "３"}),
])
def test_integers_in_other_scripts_digits_are_a_400(api, window, path, body):
    """int() reads "١" as 1: like the allocation nonce, amounts and epochs, these take ASCII digits only."""
    response = api.post(path, body, format="json")
    assert response.status_code == 400, response.content[:200]
    assert "A valid integer is required." in str(response.json()["errors"])


def test_history_limit_in_other_scripts_digits_is_a_400(api, window):
    from tests.fixtures.window import USERS

    response = api.get(f"/history/{USERS[0].address}?limit=٥")
    assert response.status_code == 400, response.content[:200]
