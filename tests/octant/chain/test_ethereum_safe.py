"""Safe users with CHAIN_BACKEND=ethereum: the Safe's own `getMessageHash` and EIP-1271 check called over
JSON-RPC on a Safe-like contract of ours (octant/chain/contracts/Octant.sol `Safe`) on the in-process EVM, and
a Safe user's terms of service and allocation through the multisig flow, signed off-chain by its owners."""
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from allocations.models import AllocationRequest
from lifecycle.tasks import epochs_tick_task
from multisig.models import MultisigSignature
from octant.chain import safes
from octant.chain.backends import get_chain
from octant.chain.models import LocalPassportScore
from octant.core import signatures
from octant.core.exceptions import InvalidMultisigAddress

from tests.fixtures.safe import (OWNERS, SafeService, assert_two_of_three_rules, owner_signature,
                                 safe_message_hash, tos_digest)
from .support import ETH, GLM

OWNER_ADDRESSES = [o.address for o in OWNERS]
PROJECTS = ["0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222"]
EPOCH = 4


sig = owner_signature


def test_the_safe_answers_its_message_hash_and_signatures_over_json_rpc(deployment):
    safe = deployment.safe_for(OWNER_ADDRESSES, 2).address
    chain = get_chain()
    digest = signatures.eip191_digest("hello")
    msg_hash = chain.safe_message_hash(safe, digest)
    assert msg_hash == safe_message_hash(digest, safe=safe)  # eth-account's EIP-712, independently
    assert msg_hash == safes.message_hash(chain_id=settings.CHAIN_ID, safe=safe, message=digest)  # the local chain's
    assert chain.safe_message_hash(safe.lower(), digest) == msg_hash

    other = deployment.safe_for(OWNER_ADDRESSES, 2).address  # the domain names the Safe
    assert chain.safe_message_hash(other, digest) != msg_hash
    wallet = deployment.wallet_for(OWNERS[0]).address
    for address in (OWNERS[0].address, wallet, deployment.glm.address):  # an EOA, contracts without the function
        with pytest.raises(InvalidMultisigAddress):
            chain.safe_message_hash(address, digest)

    assert_two_of_three_rules(chain, safe, digest, msg_hash)
    a, b, _ = OWNERS
    assert chain.verify_signature(safe, "hello", b"".join([sig(a, msg_hash), sig(b, msg_hash)]))


def test_a_safe_user_through_the_multisig_flow(deployment, safe_service, django_capture_on_commit_callbacks):
    """Until the ethereum backend called the Safe's getMessageHash, every submission answered 500."""
    chain, api = deployment, APIClient()
    executor = chain.account(11)  # the first owner (key 0x0b...), who sends the Safe's calls
    assert executor.address in OWNER_ADDRESSES
    chain.set_projects(1, PROJECTS)
    chain.fund(chain.target.address, eth=100 * ETH)
    chain.travel(chain.start + 1)
    safe = chain.safe_for(OWNER_ADDRESSES, 2, executor=executor, glm=30_000 * GLM).address
    LocalPassportScore.objects.create(address=safe, score="20")
    service = SafeService(safe_service.stub, safe=safe)
    for n in range(1, EPOCH + 1):
        chain.travel(chain.start + n * chain.duration + 1)
        assert epochs_tick_task()["pendingSnapshot"] == n
    budget = int(api.get(f"/rewards/budget/{safe}/epoch/{EPOCH}").json()["budget"])
    assert budget > 0

    # terms of service: submitted, confirmed by 2 of the 3 owners, applied by the approve job
    tos = signatures.tos_message(safe)
    tos_hash = safe_message_hash(tos_digest(tos), safe=safe)
    service.message(tos_hash)
    response = api.post(f"/multisig-signatures/pending/{safe}/type/tos", {"message": tos}, format="json",
                        HTTP_X_REAL_IP="10.0.0.1")
    assert response.status_code == 201, response.content
    assert MultisigSignature.objects.get().msg_hash == "0x" + tos_hash.hex()
    service.message(tos_hash, OWNERS[:2])
    assert api.patch("/multisig-signatures/pending/approve").status_code == 204
    assert api.get(f"/user/{safe}/tos").json() == {"accepted": True}

    # an allocation: the Safe's own EIP-1271 check vouches for the owners' prepared signature
    allocated = budget // 3
    message = {"payload": {"allocations": [{"proposalAddress": PROJECTS[1], "amount": str(allocated)}], "nonce": 0},
               "isManuallyEdited": False}
    msg_hash = safe_message_hash(signatures.allocation_digest(message["payload"], chain_id=settings.CHAIN_ID),
                                 safe=safe)
    service.message(msg_hash)
    assert api.post(f"/multisig-signatures/pending/{safe}/type/allocation", {"message": message}, format="json",
                    HTTP_X_REAL_IP="10.0.0.1").status_code == 201
    service.message(msg_hash, OWNERS[1:])
    with django_capture_on_commit_callbacks(execute=True):
        assert api.patch("/multisig-signatures/pending/approve").status_code == 204
    assert list(MultisigSignature.objects.order_by("id").values_list("type", "status")) == [
        ("tos", "approved"), ("allocation", "approved")]
    assert AllocationRequest.objects.get(user__address=safe).signature == MultisigSignature.objects.get(
        type="allocation").confirmed_signature
    assert api.get(f"/allocations/user/{safe}/epoch/{EPOCH}").json()["allocations"] == [
        {"address": PROJECTS[1], "amount": str(allocated)}]

    # an address that is no Safe is refused as the local chain refuses it, not with a 500
    eoa = OWNERS[1].address
    response = api.post(f"/multisig-signatures/pending/{eoa}/type/tos", {"message": signatures.tos_message(eoa)},
                        format="json", HTTP_X_REAL_IP="10.0.0.1")
    assert response.status_code == 403 and response.json() == {"message": "Given multisig address is invalid"}
