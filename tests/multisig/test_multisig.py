"""Safe users: `GET/POST /multisig-signatures/pending/{a}/type/{tos|allocation}` and
`PATCH /multisig-signatures/pending/approve` against a Safe Transaction Service on 127.0.0.1, with real
owner signatures checked by the local chain's Safe (EIP-1271)."""
import json

import pytest
from django.conf import settings

from allocations.models import Allocation, AllocationRequest
from multisig.models import MultisigSignature
from octant.core.signatures import allocation_digest, tos_message
from users.models import UserConsent

from tests.fixtures.chain import DURATION, START, WINDOW
from tests.fixtures.http import HANG
from tests.fixtures.safe import OWNERS, SAFE, STRANGER, safe_message_hash, tos_digest
from tests.fixtures.window import EPOCH, PROJECTS, USERS

TOS = tos_message(SAFE)
EXTERNAL = {"message": "Request to an external service failed."}
pytestmark = pytest.mark.usefixtures("safe_window")


def post(api, kind, message, address=SAFE, **headers):
    return api.post(f"/multisig-signatures/pending/{address}/type/{kind}", {"message": message}, format="json",
                    REMOTE_ADDR="10.1.2.3", **headers)  # the client (octant.web.client_ip)


def allocation_message(allocations, nonce, edited=False):
    return {"payload": {"allocations": [{"proposalAddress": p, "amount": str(a)} for p, a in allocations],
                        "nonce": nonce}, "isManuallyEdited": edited}


def test_tos_from_submission_to_consent(api, safe_service):
    msg_hash = safe_message_hash(tos_digest(TOS))
    assert api.get(f"/multisig-signatures/pending/{SAFE}/type/tos").json() == {"message": None, "hash": None}
    safe_service.message(msg_hash)
    response = post(api, "tos", TOS)
    assert response.status_code == 201
    assert api.get(f"/multisig-signatures/pending/{SAFE.lower()}/type/tos").json() == {
        "message": TOS, "hash": "0x" + tos_digest(TOS).hex()}

    safe_service.message(msg_hash, OWNERS[:1])  # 1 of 2 confirmations: nothing happens
    assert api.patch("/multisig-signatures/pending/approve").status_code == 204
    assert api.get(f"/user/{SAFE}/tos").json() == {"accepted": False}

    safe_service.message(msg_hash, OWNERS[1:])
    assert api.patch("/multisig-signatures/pending/approve").status_code == 204
    assert api.get(f"/user/{SAFE}/tos").json() == {"accepted": True}
    assert UserConsent.objects.get(user__address=SAFE).ip == "10.1.2.3"
    row = MultisigSignature.objects.get()
    assert row.status == "approved" and row.msg_hash == "0x" + msg_hash.hex()
    assert api.get(f"/multisig-signatures/pending/{SAFE}/type/tos").json() == {"message": None, "hash": None}

    again = post(api, "tos", TOS)
    assert again.status_code == 400
    assert again.json() == {"message": f"Given user {SAFE} has already accepted the Terms of Service"}


def test_tos_submission_errors(api, safe_service, settings):
    msg_hash = safe_message_hash(tos_digest(TOS))
    for message in ({"text": TOS}, TOS + " ", 7):
        response = post(api, "tos", message)
        assert response.status_code == 400
        assert response.json() == {"message": "Given multisig signature request failed validation"}
    assert post(api, "consent", TOS).status_code == 400

    response = post(api, "tos", TOS)  # the Safe API does not know the message
    assert response.status_code == 503 and response.json() == EXTERNAL

    safe_service.message(msg_hash, safe=USERS[0].address)
    response = post(api, "tos", TOS)
    assert response.status_code == 403 and response.json() == {"message": "Given multisig address is invalid"}

    eoa = USERS[0].address  # not a contract: no getMessageHash
    response = post(api, "tos", tos_message(eoa), address=eoa)
    assert response.status_code == 403 and response.json() == {"message": "Given multisig address is invalid"}

    settings.X_REAL_IP_REQUIRED = True
    response = api.post(f"/multisig-signatures/pending/{SAFE}/type/tos", {"message": TOS}, format="json")
    assert response.status_code == 400 and response.json() == {"message": "X-Real-IP header is missing"}
    assert not MultisigSignature.objects.exists()


@pytest.mark.parametrize("answers, status", [
    ([(429, {}, {"Retry-After": "0"}), (429, {})], 201),
    ([(429, {"detail": "slow down"}, {"Retry-After": "0"})], 503),
    ([(500, {"detail": "boom"})], 503),
    ([HANG], 503),
], ids=["429-then-ok", "429", "500", "timeout"])
def test_safe_api_failures(api, safe_service, answers, status, settings):
    settings.EXTERNAL_API_RETRIES = 2
    msg_hash = safe_message_hash(tos_digest(TOS))
    good = (200, {"safe": SAFE, "confirmations": [], "preparedSignature": None})
    safe_service.stub.on("GET", f"/messages/0x{msg_hash.hex()}", *answers, *([good] if status == 201 else []))
    response = post(api, "tos", TOS)
    assert response.status_code == status
    if status != 201:
        assert response.json() == EXTERNAL


def test_approve_rejects_a_signature_the_safe_refuses(api, safe_service):
    msg_hash = safe_message_hash(tos_digest(TOS))
    safe_service.message(msg_hash)
    assert post(api, "tos", TOS).status_code == 201
    safe_service.message(msg_hash, [OWNERS[0], STRANGER])  # two confirmations, one not from an owner
    assert api.patch("/multisig-signatures/pending/approve").status_code == 204
    assert MultisigSignature.objects.get().status == "rejected"
    assert api.get(f"/user/{SAFE}/tos").json() == {"accepted": False}


def test_allocation_from_submission_to_allocate(api, safe_service, django_capture_on_commit_callbacks):
    allocations = [(PROJECTS[0], 10**15), (PROJECTS[2], 2 * 10**15)]
    message = allocation_message(allocations, 0, edited=True)
    digest = allocation_digest(message["payload"], chain_id=settings.CHAIN_ID)
    msg_hash = safe_message_hash(digest)
    safe_service.message(msg_hash)
    assert post(api, "allocation", message).status_code == 201
    stored = api.get(f"/multisig-signatures/pending/{SAFE}/type/allocation").json()
    assert stored["hash"] == "0x" + digest.hex()
    assert json.loads(stored["message"]) == {"isManuallyEdited": True, "payload": {"allocations": [
        {"amount": a, "proposalAddress": p} for p, a in allocations], "nonce": 0}}
    assert stored["message"] == json.dumps(json.loads(stored["message"]), sort_keys=True)
    assert not Allocation.objects.exists()

    safe_service.message(msg_hash, OWNERS[::2])
    with django_capture_on_commit_callbacks(execute=True):
        assert api.patch("/multisig-signatures/pending/approve").status_code == 204
    row = MultisigSignature.objects.get()
    assert row.status == "approved"
    request = AllocationRequest.objects.get(user__address=SAFE)
    assert request.signature == row.confirmed_signature and request.is_manually_edited is True
    assert api.get(f"/allocations/user/{SAFE}/epoch/{EPOCH}").json()["allocations"] == [
        {"address": p, "amount": str(a)} for p, a in allocations]
    assert api.get(f"/allocations/users/{SAFE}/allocation_nonce").json() == {"allocationNonce": 1}

    # an approved message whose nonce was meanwhile used is rejected, not applied
    other = allocation_message([(PROJECTS[1], 1)], 1)
    msg_hash = safe_message_hash(allocation_digest(other["payload"], chain_id=settings.CHAIN_ID))
    safe_service.message(msg_hash)
    assert post(api, "allocation", other).status_code == 201
    third = allocation_message([(PROJECTS[1], 2)], 1)
    third_hash = safe_message_hash(allocation_digest(third["payload"], chain_id=settings.CHAIN_ID))
    safe_service.message(third_hash)
    assert post(api, "allocation", third).status_code == 201
    safe_service.message(msg_hash, OWNERS[:2])
    safe_service.message(third_hash, OWNERS[1:])
    from multisig.tasks import multisig_approve_task

    multisig_approve_task.delay()
    assert list(MultisigSignature.objects.order_by("id").values_list("status", flat=True)) == [
        "approved", "approved", "rejected"]


def test_allocation_submission_errors(api, safe_service, safe_window):
    def refused(message, expected):
        response = post(api, "allocation", message)
        assert (response.status_code, response.json()) == (400, {"message": expected})

    refused(TOS, "Given multisig signature request failed validation")
    refused({"payload": {"allocations": []}}, "Given multisig signature request failed validation")
    refused(allocation_message([], 0), "Passed empty or zeroed allocations")
    refused(allocation_message([(PROJECTS[0], 1)], 3),
            "Attempt to use wrong value of nonce (3 instead of 0) when signing allocations")
    refused(allocation_message([(PROJECTS[0], 10**30)], 0), "You cannot allocate more funds than your rewards budget.")
    refused(allocation_message([(USERS[0].address, 1)], 0),
            f"The following projects are not valid: {{'{USERS[0].address}'}}")
    safe_window.set_time(timestamp=START + EPOCH * DURATION + WINDOW + 1)
    refused(allocation_message([(PROJECTS[0], 1)], 0), "Given epoch is not valid.")
    assert not MultisigSignature.objects.exists()


def test_safe_signs_the_plain_endpoints_too(api, safe_window):
    """A Safe's combined owner signature (EIP-1271) works on the EOA endpoints as well."""
    from tests.fixtures.safe import prepared_signature

    signature = prepared_signature(safe_message_hash(tos_digest(TOS)), OWNERS[:1])  # below the threshold
    assert api.post(f"/user/{SAFE}/tos", {"signature": signature}, format="json").status_code == 400
    signature = prepared_signature(safe_message_hash(tos_digest(TOS)), OWNERS[1:])
    assert api.post(f"/user/{SAFE}/tos", {"signature": signature}, format="json").status_code == 201


def test_allocation_submission_refuses_patrons_and_users_without_budget(api, safe_service, safe_window):
    from octant.core.addresses import checksum
    from users.models import PatronEvent

    other_safe = checksum("0x" + "5a" * 20)
    safe_window.add_safe(other_safe, owners=[o.address for o in OWNERS], threshold=2)
    response = post(api, "allocation", allocation_message([(PROJECTS[0], 1)], 0), address=other_safe)
    assert response.status_code == 404
    assert response.json() == {"message": f"User {other_safe} does not have a budget for epoch {EPOCH}"}
    PatronEvent.objects.create(address=SAFE, enabled=True, timestamp=safe_window.now())
    response = post(api, "allocation", allocation_message([(PROJECTS[0], 1)], 0))
    assert response.status_code == 403
    assert response.json() == {"message": f"This action is not allowed in patron mode; user address: {SAFE}"}


def test_unverified_or_out_of_window_allocations_stay_pending(api, safe_service, safe_window):
    message = allocation_message([(PROJECTS[0], 10**15)], 0)
    msg_hash = safe_message_hash(allocation_digest(message["payload"], chain_id=settings.CHAIN_ID))
    safe_service.message(msg_hash)
    assert post(api, "allocation", message).status_code == 201
    safe_service.message(msg_hash, [OWNERS[2], STRANGER])  # the Safe refuses the signature: not a rejection
    assert api.patch("/multisig-signatures/pending/approve").status_code == 204
    assert MultisigSignature.objects.get().status == "pending" and not Allocation.objects.exists()

    safe_service.message(msg_hash, OWNERS[:2])
    safe_window.set_time(timestamp=START + EPOCH * DURATION + WINDOW + 1)  # the window closed meanwhile
    assert api.patch("/multisig-signatures/pending/approve").status_code == 204
    assert MultisigSignature.objects.get().status == "pending" and not Allocation.objects.exists()
