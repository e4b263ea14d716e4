"""The allocation path under abuse (issue 10): oversized payloads, forged signatures, numbers and JSON that
break parsers, refused cheaply and before any lock."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from allocations.models import Allocation

from tests.fixtures.window import PROJECTS, USERS, sign

ALICE, BOB, CAROL = USERS
P1, P2, P3 = PROJECTS
GARBAGE_SIGNATURE = "0x" + "ab" * 65


def post(api, body):
    return api.post("/allocations/allocate", body, format="json")


def test_oversized_payload_is_refused_before_it_is_read(api, window, settings):
    settings.ALLOCATION_MAX_ITEMS = 50  # or the epoch's project count (3), if that were more
    items = [{"proposalAddress": (P1, P2)[i % 2], "amount": "0"} for i in range(5_000)]
    body = {"userAddress": ALICE.address, "payload": {"allocations": items, "nonce": 0},
            "signature": GARBAGE_SIGNATURE, "isManuallyEdited": False}
    response = post(api, body)
    assert response.status_code == 400
    assert response.json()["errors"] == {"payload": ["allocations: Ensure this field has no more than 50 elements."]}
    body["payload"]["allocations"] = items[:50]  # at the limit: read, then refused for what it is
    assert post(api, body).json()["message"].startswith("The following projects are duplicated in the payload: [")


def test_the_limit_grows_with_the_epochs_projects(api, window, settings):
    settings.ALLOCATION_MAX_ITEMS = 1
    body = sign(ALICE, [(P1, 1), (P2, 1)], 0)  # 2 items: more than the setting, not more than 3 projects
    assert post(api, body).status_code == 201
    body = sign(ALICE, [(P1, 1), (P2, 1), (P3, 1), (P1, 1)], 1)
    assert "no more than 3 elements" in post(api, body).json()["message"]


def test_forged_signature_is_refused_before_any_lock_or_transaction(api, window):
    body = {**sign(ALICE, [(P1, 10**18)], 0), "signature": GARBAGE_SIGNATURE}
    with CaptureQueriesContext(connection) as queries:
        response = post(api, body)
    assert response.status_code == 400 and response.json()["message"].startswith("Given signature")
    statements = [q["sql"].upper() for q in queries.captured_queries]
    assert not [s for s in statements if "FOR UPDATE" in s or "SAVEPOINT" in s], statements
    assert not Allocation.objects.exists()


def test_reference_order_is_kept_when_several_checks_fail(api, window):
    # wrong nonce and a forged signature: the nonce comes first, as in the reference
    body = {**sign(ALICE, [(P1, 1)], 3), "signature": GARBAGE_SIGNATURE}
    assert post(api, body).json()["message"] == (
        "Attempt to use wrong value of nonce (3 instead of 0) when signing allocations")


@pytest.mark.parametrize("amount", ["9" * 5_000, "1" * 79, "٣"])
def test_huge_or_non_ascii_amounts_are_a_400(api, window, amount):
    body = sign(ALICE, [(P1, 1)], 0)
    body["payload"]["allocations"][0]["amount"] = amount
    response = post(api, body)
    assert response.status_code == 400 and "amount" in response.json()["message"]
    response = api.post(f"/allocations/leverage/{ALICE.address}",
                        {"allocations": [{"proposalAddress": P1, "amount": amount}]}, format="json")
    assert response.status_code == 400 and "amount" in response.json()["message"]


@pytest.mark.parametrize("nonce", ["٠", "０", " ٠"])
def test_non_ascii_digits_in_the_nonce_are_a_400(api, window, nonce):
    """int() reads other scripts' digits: "٠" was taken as nonce 0 (and the signature of nonce 0 held). It is
    refused as any other bad nonce is, and nothing is stored."""
    body = sign(ALICE, [(P1, 1)], 0)
    body["payload"]["nonce"] = "x"
    expected = post(api, body).json()
    assert expected["errors"] == {"payload": ["nonce: A valid integer is required."]}
    body["payload"]["nonce"] = nonce
    response = post(api, body)
    assert response.status_code == 400 and response.json() == expected
    assert not Allocation.objects.exists()
    body["payload"]["nonce"] = "0"  # the ASCII twin is still taken
    assert post(api, body).status_code == 201


def test_78_digit_amounts_still_parse(api, window):
    body = sign(ALICE, [(P1, 10**77)], 0)
    assert post(api, body).json() == {"message": "You cannot allocate more funds than your rewards budget."}


@pytest.mark.parametrize("path", ["/allocations/allocate", f"/allocations/leverage/{ALICE.address}",
                                  "/rewards/estimated_budget", f"/user/{ALICE.address}/tos"])
def test_json_nested_too_deep_is_a_400(api, window, path):
    body = "[" * 100_000 + "]" * 100_000
    response = api.post(path, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"message": "Invalid request: JSON parse error - nested too deeply (more than 10000 arrays and objects)", "errors": {}}


def test_leverage_simulation_is_limited_too(api, window, settings):
    settings.ALLOCATION_MAX_ITEMS = 10
    items = [{"proposalAddress": P1, "amount": "1"}] * 11
    response = api.post(f"/allocations/leverage/{ALICE.address}", {"allocations": items}, format="json")
    assert response.status_code == 400 and "no more than 10 elements" in response.json()["message"]


@pytest.mark.django_db(transaction=True)
async def test_the_websocket_allocate_event_is_limited_too(settings):
    import json

    from channels.db import database_sync_to_async

    from .test_socketio import PROJECTS as WS_PROJECTS
    from .test_socketio import receive_frames, seed_open_window, socket_open

    await database_sync_to_async(seed_open_window)()
    settings.ALLOCATION_MAX_ITEMS = 50
    client = await socket_open()
    await receive_frames(client, 2 + len(WS_PROJECTS))
    body = {"userAddress": ALICE.address, "payload": {"allocations": [
        {"proposalAddress": WS_PROJECTS[i % 2], "amount": "0"} for i in range(5_000)], "nonce": 0},
        "signature": GARBAGE_SIGNATURE, "isManuallyEdited": False}
    await client.send_to(text_data="42" + json.dumps(["allocate", json.dumps(body)]))
    answer = json.loads((await client.receive_from(timeout=5))[2:])
    assert answer == ["exception", {"message": "Invalid request: payload: allocations: Ensure this field has no "
                                               "more than 50 elements."}]
    body["payload"]["allocations"][0]["amount"] = "9" * 5_000
    body["payload"]["allocations"] = body["payload"]["allocations"][:2]
    await client.send_to(text_data="42" + json.dumps(["allocate", json.dumps(body)]))
    answer = json.loads((await client.receive_from(timeout=5))[2:])
    assert answer[0] == "exception" and "amount" in answer[1]["message"]
    await client.disconnect()
