"""A local chain walked to the allocation window of epoch 4 (the first capped-QF epoch), every earlier
window snapshotted in order, with three lockers holding budgets and three projects."""
import pytest
from django.conf import settings
from eth_account import Account

from epochs.snapshots import pending_snapshot_take
from octant.chain.backends import get_chain
from octant.core.signatures import allocation_typed_data

from ..conftest import DURATION, START, WINDOW

GLM = ETH = 10**18
USERS = [Account.from_key(bytes([i]) * 32) for i in (1, 2, 3)]
PROJECTS = ["0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222",
            "0x3333333333333333333333333333333333333333"]
EPOCH = 4


def sign(account, allocations, nonce) -> dict:
    """A `POST /allocations/allocate` body signed with the account's real key (EIP-712)."""
    payload = {"allocations": [{"proposalAddress": p, "amount": str(a)} for p, a in allocations], "nonce": nonce}
    signed = Account.sign_typed_data(account.key, full_message=allocation_typed_data(payload, chain_id=settings.CHAIN_ID))
    return {"userAddress": account.address, "payload": payload, "signature": "0x" + signed.signature.hex(),
            "isManuallyEdited": False}


def walk_to_window(chain, epoch: int) -> None:
    for n in range(1, epoch + 1):
        chain.set_time(timestamp=START + n * DURATION + 1)
        assert pending_snapshot_take() == n


@pytest.fixture
def window(db):
    chain = get_chain()
    chain.set_time(timestamp=START - 100)
    chain.configure(start=START, duration=DURATION, decision_window=WINDOW)
    for n in range(1, 7):
        chain.set_proceeds(n, 100 * ETH)
        for project in PROJECTS:
            chain.add_project(n, project)
    chain.set_time(timestamp=START + 1)
    for account, amount, score in zip(USERS, (10_000, 20_000, 5_000), ("20", "1", "7")):
        chain.lock(account.address, amount * GLM)
        chain.set_passport(account.address, score)
    walk_to_window(chain, EPOCH)
    return chain
