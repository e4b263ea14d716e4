"""The epoch-0 GLM claim: `POST /glms/claim` with a real EIP-712 ClaimGLMPayload signature,
`GET /glms/claim/{a}/check`, the admin's eligible-claims table and the transfer job."""
import pytest
from django.conf import settings
from eth_account import Account

from glm.models import EpochZeroClaim
from octant.chain.models import LocalGlmTransfer

ALICE, BOB, CAROL = (Account.from_key(bytes([i]) * 32) for i in (21, 22, 23))
AMOUNT = 1000 * 10**18


def claim_signature(account, text="Claim 1000 GLMs") -> str:
    typed = {"types": {"EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                                        {"name": "chainId", "type": "uint256"}],
                       "ClaimGLMPayload": [{"name": "msg", "type": "string"}]},
             "domain": {"name": "Octant", "version": "1.0.0", "chainId": settings.CHAIN_ID},
             "primaryType": "ClaimGLMPayload", "message": {"msg": text}}
    return "0x" + Account.sign_typed_data(ALICE.key if account is None else account.key,
                                          full_message=typed).signature.hex()


@pytest.fixture
def eligible(chain, settings):
    settings.GLM_SENDER_NONCE = 3
    for account in (ALICE, BOB):
        EpochZeroClaim.objects.create(address=account.address.lower())
    return chain


def test_claim_and_check(api, eligible):
    assert api.get(f"/glms/claim/{ALICE.address}/check").json() == {"address": ALICE.address, "claimable": str(AMOUNT)}
    response = api.post("/glms/claim", {"signature": claim_signature(ALICE)}, format="json")
    assert response.status_code == 201
    assert api.get(f"/glms/claim/{ALICE.address.lower()}/check").json() == {"address": ALICE.address, "claimable": "0"}
    again = api.post("/glms/claim", {"signature": claim_signature(ALICE)}, format="json")
    assert again.status_code == 400
    assert again.json() == {"message": f"User with address: {ALICE.address} has already claimed GLMs."}
    assert api.post("/glms/claim", {"signature": claim_signature(BOB)}, format="json").status_code == 201
    assert dict(EpochZeroClaim.objects.values_list("address", "claim_nonce")) == {ALICE.address: 3, BOB.address: 4}


def test_claim_errors(api, eligible):
    for response in (api.post("/glms/claim", {"signature": claim_signature(CAROL)}, format="json"),
                     api.get(f"/glms/claim/{CAROL.address}/check")):
        assert response.status_code == 403
        assert response.json() == {"message": f"User with address: {CAROL.address} is not eligible to claim GLMs."}
    # a signature of another text recovers another address, which is not eligible
    assert api.post("/glms/claim", {"signature": claim_signature(ALICE, "Claim 999 GLMs")},
                    format="json").status_code == 403
    for bad in ("0x1234", "0x" + "00" * 65, "zz"):
        response = api.post("/glms/claim", {"signature": bad}, format="json")
        assert response.status_code == 400 and "signature" in response.json()["errors"]
    assert api.post("/glms/claim", {}, format="json").status_code == 400
    assert api.get("/glms/claim/0x12/check").status_code == 400
    assert not EpochZeroClaim.objects.filter(claimed=True).exists()


def test_claiming_disabled_is_403(api, eligible, settings):
    settings.GLM_CLAIM_ENABLED = False
    for response in (api.post("/glms/claim", {"signature": claim_signature(ALICE)}, format="json"),
                     api.get(f"/glms/claim/{ALICE.address}/check")):
        assert response.status_code == 403 and response.json() == {"message": "GLM claiming is disabled"}
    assert not EpochZeroClaim.objects.filter(claimed=True).exists()


def test_transfer_job_sends_with_the_claim_nonces(api, eligible):
    from glm.tasks import glm_transfer_task

    for account in (BOB, ALICE):
        api.post("/glms/claim", {"signature": claim_signature(account)}, format="json")
    glm_transfer_task.delay()
    transfers = list(LocalGlmTransfer.objects.values_list("nonce", "to", "amount"))
    assert transfers == [(3, BOB.address, AMOUNT), (4, ALICE.address, AMOUNT)]
    assert EpochZeroClaim.objects.get(address=BOB.address).transaction_hash == LocalGlmTransfer.objects.get(
        nonce=3).transaction_hash
    glm_transfer_task.delay()  # nothing left: each nonce is used once
    assert LocalGlmTransfer.objects.count() == 2
    with pytest.raises(Exception, match="not the sender's next nonce"):
        eligible.transfer_glm(ALICE.address, 1, nonce=3)


def test_admin_edits_the_eligible_addresses(client, django_user_model, db):
    client.force_login(django_user_model.objects.create_superuser("staff", "s@example.com", "pw"))
    assert client.get("/admin/glm/epochzeroclaim/").status_code == 200
    response = client.post("/admin/glm/epochzeroclaim/add/", {"address": CAROL.address.lower()})
    assert response.status_code == 302
    assert EpochZeroClaim.objects.get().address == CAROL.address
    response = client.post("/admin/glm/epochzeroclaim/add/", {"address": "0xnope"})
    assert response.status_code == 200 and b"Enter an Ethereum address" in response.content
    for path in ("antisybil/passportlistentry", "antisybil/passportstamps", "antisybil/scoredelegation",
                 "multisig/multisigsignature", "deposits/sablierstream", "chain/localsafe", "chain/localglmtransfer"):
        assert client.get(f"/admin/{path}/").status_code == 200
    response = client.post("/admin/antisybil/passportlistentry/add/", {"kind": "timeout", "address": CAROL.address})
    assert response.status_code == 302
