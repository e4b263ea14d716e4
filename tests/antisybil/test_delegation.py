"""UQ delegation: `POST /delegation/delegate`, `PUT /delegation/recalculate`, `GET /delegation/check/...`
with real EIP-191 signatures of both addresses, and every error of the reference with its message."""
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from antisybil.models import PassportListEntry, ScoreDelegation
from octant.core.signatures import delegation_message
from users.models import User

from tests.fixtures.window import EPOCH, USERS

ALICE, BOB, CAROL = USERS
DAVE, EVE, FRANK, GINA = (Account.from_key(bytes([i]) * 32) for i in (4, 5, 6, 7))


def personal_sign(account, text) -> str:
    return "0x" + Account.sign_message(encode_defunct(text=text), account.key).signature.hex()


def body(primary, secondary, *, primary_signer=None, secondary_signer=None):
    text = delegation_message(secondary.address, primary.address)
    return {"primaryAddr": primary.address, "secondaryAddr": secondary.address,
            "primaryAddrSignature": personal_sign(primary_signer or primary, text),
            "secondaryAddrSignature": personal_sign(secondary_signer or secondary, text)}


@pytest.fixture
def ready(window):  # noqa: F811
    """ALICE (a user, locking) may take DAVE's score (20, never locked)."""
    User.objects.get_or_create(address=ALICE.address)
    window.set_passport(DAVE.address, "20")
    window.set_passport(EVE.address, "10")
    return window


def test_delegate_lends_the_secondary_score_to_the_primary(api, ready):
    assert api.get(f"/user/{ALICE.address}/uq/{EPOCH + 0}").json() == {"uniquenessQuotient": "1.0"}  # chain: 20
    ready.set_passport(ALICE.address, "0")
    assert api.get(f"/user/{ALICE.address}/uq/{EPOCH}").json() == {"uniquenessQuotient": "0.01"}
    response = api.post("/delegation/delegate", body(ALICE, DAVE), format="json")
    assert response.status_code == 201
    hashes = list(ScoreDelegation.objects.values_list("hashed_addr", flat=True))
    assert len(hashes) == 3 and not any(a.address[2:].lower() in h.lower() for h in hashes for a in (ALICE, DAVE))
    assert api.get(f"/user/{ALICE.address}/antisybil-status").json()["score"] == "20.0"
    assert api.get(f"/user/{ALICE.address}/uq/{EPOCH}").json() == {"uniquenessQuotient": "1.0"}

    check = api.get(f"/delegation/check/{DAVE.address.lower()},{BOB.address},{ALICE.address}")
    assert check.status_code == 200 and check.json() == {"primary": ALICE.address, "secondary": DAVE.address}
    for address in (ALICE, DAVE):
        refused = api.put(f"/user/{address.address}/antisybil-status")
        assert refused.status_code == 400 and refused.json() == {"message": "Address is already used for delegation"}
    again = api.put("/delegation/recalculate", body(ALICE, DAVE), format="json")
    assert again.status_code == 400 and again.json() == {"message": "Invalid recalculation request"}


def test_delegate_errors_in_order(api, ready):
    def post(payload):
        return api.post("/delegation/delegate", payload, format="json")

    wrong = body(ALICE, DAVE, primary_signer=BOB)
    response = post(wrong)
    assert response.status_code == 400 and response.json() == {
        "message": f"Given signature {wrong['primaryAddrSignature']} is invalid or does not belong to {ALICE.address}"}
    wrong = body(ALICE, DAVE, secondary_signer=ALICE)
    assert post(wrong).json() == {
        "message": f"Given signature {wrong['secondaryAddrSignature']} is invalid or does not belong to {DAVE.address}"}

    PassportListEntry.objects.create(kind="timeout", address=FRANK.address)
    response = post(body(ALICE, FRANK))
    assert response.status_code == 400 and response.json() == {"message": "Invalid delegation request"}

    response = post(body(ALICE, EVE))
    assert response.status_code == 400 and response.json() == {"message": "Antisybil score 10.0 is lower then 15"}

    ready.set_passport(BOB.address, "30")  # BOB locks GLM in the current epoch
    response = post(body(ALICE, BOB))
    assert response.status_code == 400 and response.json() == {"message": "Secondary address cannot lock any GLMs"}

    response = post(body(GINA, DAVE))  # GINA has no users row
    assert response.status_code == 404 and response.json() == {"message": f"User with address {GINA.address} not found"}

    assert post(body(ALICE, DAVE)).status_code == 201
    for primary, secondary in ((ALICE, EVE), (CAROL, DAVE)):
        response = post(body(primary, secondary))
        assert response.status_code == 400 and response.json() == {"message": "Delegation already exists"}
    assert ScoreDelegation.objects.count() == 3

    invalid = post({**body(ALICE, DAVE), "primaryAddr": "0x12"})
    assert invalid.status_code == 400 and "primaryAddr" in invalid.json()["errors"]


def test_recalculate_and_check_errors(api, db):
    response = api.put("/delegation/recalculate", body(ALICE, DAVE), format="json")
    assert response.status_code == 400 and response.json() == {"message": "Delegation does not exists"}
    assert api.put("/delegation/recalculate", {}, format="json").status_code == 400

    for addresses in ([ALICE.address], [f"0x{i:040x}" for i in range(1, 12)]):
        response = api.get(f"/delegation/check/{','.join(addresses)}")
        assert response.status_code == 400
        assert response.json() == {"message": "Please specify at least 2 and not more than 10 addresses"}
    response = api.get(f"/delegation/check/{ALICE.address},{DAVE.address}")
    assert response.status_code == 400 and response.json() == {"message": "Delegation does not exists"}
    assert api.get(f"/delegation/check/{ALICE.address},0xnothex").status_code == 400


def test_a_safe_primary_signs_with_its_owners(api, ready):
    """EIP-1271: the Safe's combined owner signature over its SafeMessage hash of the delegation text."""
    from tests.fixtures.safe import OWNERS, SAFE, prepared_signature, safe_message_hash, tos_digest

    ready.add_safe(SAFE, owners=[o.address for o in OWNERS], threshold=2)
    User.objects.get_or_create(address=SAFE)
    text = delegation_message(DAVE.address, SAFE)
    payload = {"primaryAddr": SAFE, "secondaryAddr": DAVE.address,
               "primaryAddrSignature": prepared_signature(safe_message_hash(tos_digest(text)), OWNERS[:1]),
               "secondaryAddrSignature": personal_sign(DAVE, text)}
    response = api.post("/delegation/delegate", payload, format="json")
    assert response.status_code == 400 and response.json()["message"].startswith("Given signature")  # 1 of 2
    payload["primaryAddrSignature"] = prepared_signature(safe_message_hash(tos_digest(text)), OWNERS[1:])
    assert api.post("/delegation/delegate", payload, format="json").status_code == 201
    assert api.get(f"/delegation/check/{SAFE},{DAVE.address}").json() == {"primary": SAFE, "secondary": DAVE.address}


def test_delegation_needs_its_salts(api, ready, settings):
    settings.DELEGATION_SALT = ""
    message = {"message": "UQ delegation is not configured on this server (DELEGATION_SALT, DELEGATION_SALT_PRIMARY)"}
    for response in (api.post("/delegation/delegate", body(ALICE, DAVE), format="json"),
                     api.put("/delegation/recalculate", body(ALICE, DAVE), format="json"),
                     api.get(f"/delegation/check/{ALICE.address},{DAVE.address}")):
        assert response.status_code == 503 and response.json() == message
    assert api.put(f"/user/{ALICE.address}/antisybil-status").status_code == 204  # passports still refresh
    assert not ScoreDelegation.objects.exists()
