"""A Safe user (a contract wallet with 2-of-3 owners on the local chain) in the allocation window of
epoch 4, and a Safe Transaction Service served on 127.0.0.1 that holds its off-chain messages."""
import pytest
from django.conf import settings
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_defunct, encode_typed_data

from octant.chain.backends import get_chain

from ..allocations.conftest import EPOCH, PROJECTS, USERS, walk_to_window  # noqa: F401
from ..conftest import DURATION, START, WINDOW
from ..httpstub import http_stub  # noqa: F401

GLM = ETH = 10**18
SAFE = "0x250f72267551dd4B299Fd1C2407acbbacD96d204"
OWNERS = sorted((Account.from_key(bytes([i]) * 32) for i in (11, 12, 13)), key=lambda a: int(a.address, 16))
STRANGER = Account.from_key(bytes([14]) * 32)


def safe_message_hash(safe_msg_hash: bytes, *, safe: str = SAFE) -> bytes:
    """What the owners sign: EIP-712 SafeMessage(bytes message) under the Safe's domain, computed here with
    eth-account, independently of the code under test."""
    typed = {
        "types": {"EIP712Domain": [{"name": "chainId", "type": "uint256"},
                                   {"name": "verifyingContract", "type": "address"}],
                  "SafeMessage": [{"name": "message", "type": "bytes"}]},
        "domain": {"chainId": settings.CHAIN_ID, "verifyingContract": safe},
        "primaryType": "SafeMessage",
        "message": {"message": safe_msg_hash},
    }
    return _hash_eip191_message(encode_typed_data(full_message=typed))


def tos_digest(text: str) -> bytes:
    return _hash_eip191_message(encode_defunct(text=text))


def prepared_signature(msg_hash: bytes, signers) -> str:
    """The Safe's combined signature: each owner's signature of the hash, in ascending owner order."""
    ordered = sorted(signers, key=lambda a: int(a.address, 16))
    return "0x" + b"".join(bytes(Account.unsafe_sign_hash(msg_hash, a.key).signature) for a in ordered).hex()


class SafeService:
    """Scripted Safe Transaction Service answers for SAFE."""

    def __init__(self, stub):
        self.stub = stub
        stub.on("GET", f"/safes/{SAFE}", (200, {"address": SAFE, "threshold": 2, "owners": [o.address for o in OWNERS],
                                                "nonce": 0}))

    def message(self, msg_hash: bytes, signers=(), *, safe: str = SAFE) -> None:
        self.stub.on("GET", f"/messages/0x{msg_hash.hex()}", (200, {
            "messageHash": "0x" + msg_hash.hex(), "safe": safe,
            "confirmations": [{"owner": s.address, "signatureType": "EOA"} for s in signers],
            "preparedSignature": prepared_signature(msg_hash, signers) if signers else None}))


@pytest.fixture
def safe_service(http_stub, settings):  # noqa: F811
    settings.SAFE_TRANSACTION_SERVICE_URL = http_stub.url + "/api/v1"
    return SafeService(_Prefixed(http_stub, "/api/v1"))


class _Prefixed:
    def __init__(self, stub, prefix):
        self.stub, self.prefix = stub, prefix

    def on(self, method, path, *answers):
        self.stub.on(method, self.prefix + path, *answers)

    def calls(self, method, path):
        return self.stub.calls(method, self.prefix + path)


@pytest.fixture
def safe_window(db):
    """Epoch 4's allocation window; the Safe (2 of 3) and the three EOA users lock GLM in epoch 1."""
    chain = get_chain()
    chain.set_time(timestamp=START - 100)
    chain.configure(start=START, duration=DURATION, decision_window=WINDOW)
    for n in range(1, 7):
        chain.set_proceeds(n, 100 * ETH)
        for project in PROJECTS:
            chain.add_project(n, project)
    chain.add_safe(SAFE, owners=[o.address for o in OWNERS], threshold=2)
    chain.set_time(timestamp=START + 1)
    for address, amount, score in zip([u.address for u in USERS] + [SAFE], (10_000, 20_000, 5_000, 30_000),
                                      ("20", "1", "7", "20")):
        chain.lock(address, amount * GLM)
        chain.set_passport(address, score)
    walk_to_window(chain, EPOCH)
    return chain
