"""Gnosis Safe message signing, as the Safe contracts compute it (pure: no Django import): the
`getMessageHash` of the compatibility fallback handler (EIP-712 `SafeMessage(bytes message)` under the
Safe's domain {chainId, verifyingContract}) and `checkSignatures` over owner signatures."""
from eth_abi import encode as abi_encode
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from octant.core.signatures import recover_address

DOMAIN_TYPEHASH = keccak(b"EIP712Domain(uint256 chainId,address verifyingContract)")
SAFE_MSG_TYPEHASH = keccak(b"SafeMessage(bytes message)")


def domain_separator(*, chain_id: int, safe: str) -> bytes:
    return keccak(abi_encode(["bytes32", "uint256", "address"], [DOMAIN_TYPEHASH, chain_id, safe]))


def message_hash(*, chain_id: int, safe: str, message: bytes) -> bytes:
    """getMessageHash(message): what each owner signs for an off-chain Safe message."""
    struct = keccak(abi_encode(["bytes32", "bytes32"], [SAFE_MSG_TYPEHASH, keccak(message)]))
    return keccak(b"\x19\x01" + domain_separator(chain_id=chain_id, safe=safe) + struct)


def check_signatures(*, owners: list[str], threshold: int, message_hash: bytes, signatures: bytes) -> bool:
    """Safe.checkSignatures: the first `threshold` 65-byte signatures must come from distinct owners in
    ascending address order; v 27/28 signs the hash itself, v 31/32 its EIP-191 form (eth_sign)."""
    if len(signatures) < 65 * threshold:
        return False
    owner_set = {to_checksum_address(o) for o in owners}
    last = 0
    for i in range(threshold):
        owner = signer(message_hash=message_hash, signature=signatures[65 * i:65 * (i + 1)])
        if owner is None or owner not in owner_set or int(owner, 16) <= last:
            return False
        last = int(owner, 16)
    return True


def signer(*, message_hash: bytes, signature: bytes) -> str | None:
    """Who made one 65-byte owner signature: v 27/28 signs the hash itself, v 31/32 its EIP-191 form
    (eth_sign); None when it recovers no one, or for contract and pre-approved signatures (not simulated)."""
    v = signature[64] if len(signature) == 65 else None
    if v in (27, 28):
        return recover_address(message_hash, signature)
    if v in (31, 32):
        return recover_address(eip191_digest_of_hash(message_hash), signature[:64] + bytes([v - 4]))
    return None


def eip191_digest_of_hash(digest: bytes) -> bytes:
    return keccak(b"\x19Ethereum Signed Message:\n32" + digest)
