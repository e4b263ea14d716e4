"""The local chain's Safe Transaction Service at `/api/v1/` (docs/lifecycle.md §5.4): the paths the web client
and the multisig flow call, 404 for plain wallets, owners proposing and confirming off-chain messages; and a
Safe user's terms of service and allocation (§5.3) through it, with no other service."""
import pytest
from django.conf import settings
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_defunct, encode_typed_data

from multisig.models import MultisigSignature
from multisig.safe_api import SafeTransactionService
from octant.core.signatures import allocation_digest, tos_message

from tests.fixtures.safe import OWNERS, SAFE, STRANGER, prepared_signature, safe_message_hash, tos_digest
from tests.fixtures.window import EPOCH, PROJECTS, USERS

TOS = tos_message(SAFE)
ZERO = "0x" + "0" * 40
EMPTY_PAGE = {"count": 0, "next": None, "previous": None, "results": []}
EOA = USERS[0].address
pytestmark = pytest.mark.usefixtures("safe_window")


@pytest.fixture(autouse=True)
def local_service(settings):
    settings.SAFE_TRANSACTION_SERVICE_URL = ""  # the default with the local chain


def signed(account, msg_hash: bytes, *, eth_sign=False) -> str:
    """An owner's signature of a Safe message hash: of the hash itself (v 27/28), or eth_sign (v 31/32)."""
    if not eth_sign:
        return "0x" + bytes(Account.unsafe_sign_hash(msg_hash, account.key).signature).hex()
    signature = bytes(Account.sign_message(encode_defunct(primitive=msg_hash), account.key).signature)
    return "0x" + (signature[:64] + bytes([signature[64] + 4])).hex()


def propose(api, message, signature, safe=SAFE, **extra):
    return api.post(f"/api/v1/safes/{safe}/messages/", {"message": message, "signature": signature, **extra},
                    format="json")


def confirm(api, msg_hash: bytes, signature):
    return api.post(f"/api/v1/messages/0x{msg_hash.hex()}/signatures/", {"signature": signature}, format="json")


def submit(api, kind, message):
    return api.post(f"/multisig-signatures/pending/{SAFE}/type/{kind}", {"message": message}, format="json")


def test_a_safe_its_transactions_and_plain_wallets(api):
    body = {"address": SAFE, "nonce": "0", "threshold": 2, "owners": [o.address for o in OWNERS],
            "masterCopy": ZERO, "modules": [], "fallbackHandler": ZERO, "guard": ZERO, "version": "1.3.0"}
    assert api.get(f"/api/v1/safes/{SAFE}").json() == body  # the client's path, without the slash
    assert api.get(f"/api/v1/safes/{SAFE.lower()}/").json() == body
    assert api.get(f"/api/v1/safes/{SAFE}/all-transactions/").json() == EMPTY_PAGE
    assert api.get(f"/api/v1/safes/{SAFE}/messages/").json() == EMPTY_PAGE
    for path in ("", "/messages/", "/all-transactions/"):
        response = api.get(f"/api/v1/safes/{EOA}{path}")
        assert response.status_code == 404 and response.json() == {"message": f"No Safe at {EOA}"}
    assert propose(api, "hi", signed(OWNERS[0], b"\x00" * 32), safe=EOA).status_code == 404
    assert api.get("/api/v1/safes/0xnothex/").status_code == 400


def test_terms_of_service_proposed_confirmed_and_applied_through_the_local_service(api):
    msg_hash = safe_message_hash(tos_digest(TOS))
    response = submit(api, "tos", TOS)  # the service does not know the message yet
    assert response.status_code == 503 and response.json() == {"message": "Request to an external service failed."}

    assert propose(api, TOS, signed(OWNERS[0], msg_hash)).status_code == 201
    listed = api.get(f"/api/v1/safes/{SAFE}/messages/").json()
    assert listed["count"] == 1 and listed["next"] is None
    message = listed["results"][0]
    assert {key: message[key] for key in ("safe", "messageHash", "message", "proposedBy", "safeAppId")} == {
        "safe": SAFE, "messageHash": "0x" + msg_hash.hex(), "message": TOS, "proposedBy": OWNERS[0].address,
        "safeAppId": None}
    assert [(c["owner"], c["signatureType"]) for c in message["confirmations"]] == [(OWNERS[0].address, "EOA")]
    assert message["preparedSignature"] == prepared_signature(msg_hash, OWNERS[:1])
    assert api.get(f"/api/v1/messages/0x{msg_hash.hex()}/").json() == message

    assert submit(api, "tos", TOS).status_code == 201  # the multisig app finds the message for this Safe
    assert api.patch("/multisig-signatures/pending/approve").status_code == 204
    assert api.get(f"/user/{SAFE}/tos").json() == {"accepted": False}  # 1 of 2 confirmations

    assert confirm(api, msg_hash, signed(OWNERS[2], msg_hash, eth_sign=True)).status_code == 201
    message = api.get(f"/api/v1/messages/0x{msg_hash.hex()}").json()
    assert [c["signatureType"] for c in message["confirmations"]] == ["EOA", "ETH_SIGN"]
    assert message["preparedSignature"] == "0x" + "".join(  # by owner, ascending (OWNERS is sorted)
        c["signature"][2:] for c in message["confirmations"])
    service = SafeTransactionService()  # in process, the same data as over HTTP
    assert service.message("0x" + msg_hash.hex()) == message
    assert service.safe(SAFE) == api.get(f"/api/v1/safes/{SAFE}/").json()

    assert api.patch("/multisig-signatures/pending/approve").status_code == 204
    assert api.get(f"/user/{SAFE}/tos").json() == {"accepted": True}
    assert MultisigSignature.objects.get().confirmed_signature == message["preparedSignature"]


def test_proposals_and_confirmations_are_checked(api):
    msg_hash = safe_message_hash(tos_digest(TOS))

    def refused(response, field):
        assert response.status_code == 400 and field in response.json()["errors"], response.json()

    refused(propose(api, TOS, signed(STRANGER, msg_hash)), "signature")
    refused(propose(api, TOS, signed(OWNERS[0], safe_message_hash(tos_digest("other")))), "signature")
    refused(propose(api, TOS, "0x1234"), "signature")
    refused(propose(api, 7, signed(OWNERS[0], msg_hash)), "message")
    refused(propose(api, {"types": 1}, signed(OWNERS[0], msg_hash)), "message")
    refused(api.post(f"/api/v1/safes/{SAFE}/messages/", {"message": TOS}, format="json"), "signature")
    assert api.get(f"/api/v1/safes/{SAFE}/messages/").json() == EMPTY_PAGE

    assert propose(api, TOS, signed(OWNERS[1], msg_hash), safeAppId=7).status_code == 201
    refused(propose(api, TOS, signed(OWNERS[0], msg_hash)), "message")  # the same message again
    refused(confirm(api, msg_hash, signed(OWNERS[1], msg_hash, eth_sign=True)), "signature")  # signed already
    refused(confirm(api, msg_hash, signed(STRANGER, msg_hash)), "signature")
    message = api.get(f"/api/v1/messages/0x{msg_hash.hex()}/").json()
    assert message["safeAppId"] == 7 and len(message["confirmations"]) == 1
    unknown = "0x" + "ab" * 32
    response = api.get(f"/api/v1/messages/{unknown}/")
    assert response.status_code == 404 and response.json() == {"message": f"No Safe message with hash {unknown}"}
    assert confirm(api, bytes.fromhex("ab" * 32), signed(OWNERS[0], msg_hash)).status_code == 404


def test_an_allocation_signed_as_typed_data_through_the_local_service(api, django_capture_on_commit_callbacks):
    allocations = [(PROJECTS[0], 10**15), (PROJECTS[1], 3 * 10**15)]
    typed = {  # what the web client asks the Safe's owners to sign (EIP-712, written out here)
        "types": {"EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                                   {"name": "chainId", "type": "uint256"}],
                  "Allocation": [{"name": "proposalAddress", "type": "address"},
                                 {"name": "amount", "type": "uint256"}],
                  "AllocationPayload": [{"name": "allocations", "type": "Allocation[]"},
                                        {"name": "nonce", "type": "uint256"}]},
        "domain": {"name": "Octant", "version": "1.0.0", "chainId": settings.CHAIN_ID},
        "primaryType": "AllocationPayload",
        "message": {"allocations": [{"proposalAddress": p, "amount": a} for p, a in allocations], "nonce": 0}}
    payload = {"allocations": [{"proposalAddress": p, "amount": str(a)} for p, a in allocations], "nonce": 0}
    digest = _hash_eip191_message(encode_typed_data(full_message=typed))
    assert digest == allocation_digest(payload, chain_id=settings.CHAIN_ID)
    msg_hash = safe_message_hash(digest)
    assert propose(api, typed, signed(OWNERS[0], msg_hash)).status_code == 201
    newest = api.get(f"/api/v1/safes/{SAFE}/messages/").json()["results"][0]
    assert newest["messageHash"] == "0x" + msg_hash.hex()
    assert (newest["message"]["domain"]["name"], newest["message"]["primaryType"]) == ("Octant", "AllocationPayload")

    assert submit(api, "allocation", {"payload": payload, "isManuallyEdited": False}).status_code == 201
    assert confirm(api, msg_hash, signed(OWNERS[1], msg_hash)).status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        assert api.patch("/multisig-signatures/pending/approve").status_code == 204
    assert MultisigSignature.objects.get().status == "approved"
    assert api.get(f"/allocations/user/{SAFE}/epoch/{EPOCH}").json()["allocations"] == [
        {"address": p, "amount": str(a)} for p, a in allocations]


def test_typed_data_keys_are_hashed_as_sent(api):
    """snake_case keys of a message are data (the API's other bodies take them as camelCase)."""
    typed = {"types": {"EIP712Domain": [{"name": "chainId", "type": "uint256"}],
                       "Note": [{"name": "note_text", "type": "string"}]},
             "domain": {"chainId": settings.CHAIN_ID}, "primaryType": "Note", "message": {"note_text": "hello"}}
    msg_hash = safe_message_hash(_hash_eip191_message(encode_typed_data(full_message=typed)))
    assert propose(api, typed, signed(OWNERS[0], msg_hash)).status_code == 201
    assert api.get(f"/api/v1/messages/0x{msg_hash.hex()}/").json()["message"] == typed


def test_a_message_postgresql_cannot_store_is_refused(api):
    text = "nul \x00 inside"
    msg_hash = safe_message_hash(tos_digest(text))
    response = propose(api, text, signed(OWNERS[0], msg_hash))
    assert response.status_code == 400 and "message" in response.json()["errors"]
    assert api.get(f"/api/v1/safes/{SAFE}/messages/").json() == EMPTY_PAGE
    assert api.get("/api/v1/messages/0xnot-a-hash/").status_code == 404


def test_staff_see_the_messages_in_the_admin(api, client, django_user_model):
    msg_hash = safe_message_hash(tos_digest(TOS))
    assert propose(api, TOS, signed(OWNERS[0], msg_hash)).status_code == 201
    client.force_login(django_user_model.objects.create_superuser("staff", "staff@example.com", "pw"))
    page = client.get("/admin/chain/localsafemessage/")
    assert page.status_code == 200 and ("0x" + msg_hash.hex()).encode() in page.content
    assert client.get("/admin/chain/localsafemessage/add/").status_code == 403
