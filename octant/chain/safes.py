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
        part = signatures[65 * i:65 * (i + 1)]
        v = part[64]
        if v in (27, 28):
            signer = recover_address(message_hash, part)
        elif v in (31, 32):
            signer = recover_address(eip191_digest_of_hash(message_hash), part[:64] + bytes([v - 4]))
        else:
            return False  # contract and pre-approved signatures are not simulated
        if signer is None or signer not in owner_set or int(signer, 16) <= last:
            return False
        last = int(signer, 16)
    return True


def eip191_digest_of_hash(digest: bytes) -> bytes:
    return keccak(b"\x19Ethereum Signed Message:\n32" + digest)
