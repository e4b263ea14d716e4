"""Signed messages and their verification (docs/rewards.md §8). Pure: no Django import.

* EIP-712: the allocation payload and the epoch-0 GLM claim, domain {name "Octant", version "1.0.0",
  chainId}, no verifyingContract and no salt (§8.1).
* EIP-191 personal messages: terms of service, patron-mode toggle, UQ delegation (§8.2).
* Verification (§8.3): ECDSA recovery for EOAs; for contract wallets the legacy EIP-1271
  `isValidSignature(bytes,bytes)` returning 0x20c13b0b, through a caller-supplied function because the
  chain backend makes the call.
"""
import functools
import json
from collections.abc import Callable, Mapping

from eth_abi import encode as abi_encode
from eth_hash.auto import keccak
from eth_keys import keys
from eth_utils import to_checksum_address

DOMAIN_NAME = "Octant"
DOMAIN_VERSION = "1.0.0"

EIP712_DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId)"
ALLOCATION_TYPE = "Allocation(address proposalAddress,uint256 amount)"
ALLOCATION_PAYLOAD_TYPE = "AllocationPayload(Allocation[] allocations,uint256 nonce)" + ALLOCATION_TYPE
CLAIM_GLM_TYPE = "ClaimGLMPayload(string msg)"

EIP712_DOMAIN_TYPEHASH = keccak(EIP712_DOMAIN_TYPE.encode())
ALLOCATION_TYPEHASH = keccak(ALLOCATION_TYPE.encode())
ALLOCATION_PAYLOAD_TYPEHASH = keccak(ALLOCATION_PAYLOAD_TYPE.encode())
CLAIM_GLM_TYPEHASH = keccak(CLAIM_GLM_TYPE.encode())

EIP1271_MAGIC_VALUE = bytes.fromhex("20c13b0b")  # bytes4(keccak256("isValidSignature(bytes,bytes)"))
EIP7702_DELEGATION_PREFIX = bytes.fromhex("ef0100")


# --- EIP-712 -------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def domain_separator(chain_id: int) -> bytes:
    return keccak(
        abi_encode(
            ["bytes32", "bytes32", "bytes32", "uint256"],
            [EIP712_DOMAIN_TYPEHASH, keccak(DOMAIN_NAME.encode()), keccak(DOMAIN_VERSION.encode()), chain_id],
        )
    )


def _typed_data_digest(chain_id: int, struct_hash: bytes) -> bytes:
    return keccak(b"\x19\x01" + domain_separator(chain_id) + struct_hash)


def allocation_payload_hash(payload: Mapping) -> bytes:
    """hashStruct(AllocationPayload). `payload` = {allocations: [{proposalAddress, amount}], nonce};
    amounts may be decimal strings (they are converted to int); allocation order matters."""
    items = b"".join(
        keccak(
            abi_encode(
                ["bytes32", "address", "uint256"],
                [ALLOCATION_TYPEHASH, item["proposalAddress"], int(item["amount"])],
            )
        )
        for item in payload["allocations"]
    )
    return keccak(
        abi_encode(
            ["bytes32", "bytes32", "uint256"], [ALLOCATION_PAYLOAD_TYPEHASH, keccak(items), int(payload["nonce"])]
        )
    )


def allocation_digest(payload: Mapping, *, chain_id: int) -> bytes:
    """The EIP-712 digest a wallet signs for an allocation request (§8.1)."""
    return _typed_data_digest(chain_id, allocation_payload_hash(payload))


def allocation_typed_data(payload: Mapping, *, chain_id: int) -> dict:
    """The full EIP-712 document (types, domain, primaryType, message) of an allocation request."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
            ],
            "Allocation": [
                {"name": "proposalAddress", "type": "address"},
                {"name": "amount", "type": "uint256"},
            ],
            "AllocationPayload": [
                {"name": "allocations", "type": "Allocation[]"},
                {"name": "nonce", "type": "uint256"},
            ],
        },
        "domain": {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id},
        "primaryType": "AllocationPayload",
        "message": {
            "allocations": [
                {"proposalAddress": item["proposalAddress"], "amount": int(item["amount"])}
                for item in payload["allocations"]
            ],
            "nonce": int(payload["nonce"]),
        },
    }


def allocation_message_json(payload: Mapping, *, is_manually_edited: bool) -> str:
    """How an allocation message is stored for the multisig flow (§8.3): JSON, sorted keys, int amounts."""
    message = allocation_typed_data(payload, chain_id=0)["message"]
    return json.dumps({"isManuallyEdited": is_manually_edited, "payload": message}, sort_keys=True)


def claim_glm_message(glm_withdrawal_amount: int) -> str:
    """`Claim {trunc(fl(amount / 1e18))} GLMs` (§8.2); "Claim 1000 GLMs" for the default 1000 GLM."""
    return f"Claim {int(glm_withdrawal_amount / 1e18)} GLMs"


def claim_glm_digest(message: str, *, chain_id: int) -> bytes:
    """EIP-712 digest of ClaimGLMPayload(string msg), same domain as allocations."""
    return _typed_data_digest(
        chain_id, keccak(abi_encode(["bytes32", "bytes32"], [CLAIM_GLM_TYPEHASH, keccak(message.encode())]))
    )


# --- EIP-191 -------------------------------------------------------------------------------------------


def eip191_digest(message: str) -> bytes:
    """keccak256("\\x19Ethereum Signed Message:\\n" + byte length + UTF-8 message) (personal_sign)."""
    data = message.encode()
    return keccak(b"\x19Ethereum Signed Message:\n" + str(len(data)).encode() + data)


def tos_message(address: str) -> str:
    """The terms-of-service consent text for `address` (checksummed in the text)."""
    return "\n".join(
        [
            "Welcome to Octant.",
            "Please click to sign in and accept the Octant Terms of Service.",
            "",
            "Signing this message will not trigger a transaction.",
            "",
            "Your address",
            to_checksum_address(address),
        ]
    )


def patron_mode_message(address: str, *, enable: bool, nonce: int | None = None) -> str:
    """The patron-mode toggle's text. Without `nonce` the legacy text (Octant's web client signs it), the same
    bytes every time: accepted once per address and action. With the user's patron-mode nonce (one more
    each toggle), a text that is signed once and cannot be replayed (docs/signing.md)."""
    action = "enable" if enable else "disable"
    text = f"Signing this message will {action} patron mode for address {to_checksum_address(address)}."
    return text if nonce is None else f"{text} Nonce: {nonce}."


def delegation_message(secondary: str, primary: str) -> str:
    """The UQ-delegation text that both addresses sign (addresses as given)."""
    return f"Delegation of UQ score from {secondary} to {primary}"


# --- verification --------------------------------------------------------------------------------------


def _signature_bytes(signature: bytes | str) -> bytes:
    if isinstance(signature, str):
        return bytes.fromhex(signature.removeprefix("0x"))
    return bytes(signature)


SECP256K1_HALF_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141 // 2


def recover_address(digest: bytes, signature: bytes | str) -> str | None:
    """The checksummed signer of a 32-byte digest, or None for a malformed or unrecoverable signature.
    Accepts v as 27/28 or 0/1; refuses s above n/2 (EIP-2)."""
    try:
        raw = _signature_bytes(signature)
        if len(raw) != 65 or len(digest) != 32:
            return None
        v = raw[64] - 27 if raw[64] >= 27 else raw[64]
        if v not in (0, 1) or int.from_bytes(raw[32:64], "big") > SECP256K1_HALF_N:
            return None  # EIP-2: a high-s signature is the malleable twin of a valid one
        public_key = keys.Signature(raw[:64] + bytes([v])).recover_public_key_from_msg_hash(digest)
        return public_key.to_checksum_address()
    except Exception:
        return None


def is_contract_code(code: bytes | None) -> bool:
    """Whether `eth_getCode` output makes the address a contract wallet: non-empty code that is not an
    EIP-7702 delegation designator (23 bytes starting 0xef0100), which v2 treats as an EOA."""
    if not code:
        return False
    return not (len(code) == 23 and bytes(code).startswith(EIP7702_DELEGATION_PREFIX))


def eip1271_calldata(data: bytes, signature: bytes | str) -> bytes:
    """Calldata of the legacy `isValidSignature(bytes _data, bytes _signature)` call."""
    return EIP1271_MAGIC_VALUE + abi_encode(["bytes", "bytes"], [data, _signature_bytes(signature)])


Eip1271Call = Callable[[str, bytes, bytes], bytes | str]


def verify_signature(
    address: str,
    digest_or_message: bytes | str,
    signature: bytes | str,
    *,
    is_contract: bool = False,
    eip1271_call: Eip1271Call | None = None,
) -> bool:
    """Whether `signature` is `address`'s signature (§8.3).

    `digest_or_message`: a 32-byte digest (EIP-712 or EIP-191), or a text message, hashed with EIP-191.
    EOA: the recovered signer must equal the checksummed address. Contract (`is_contract=True`):
    `eip1271_call(address, digest, signature)` performs `isValidSignature(bytes,bytes)` on chain and returns
    its bytes4 result (bytes or 0x-hex); only 0x20c13b0b is valid and any exception (a revert) is invalid.
    """
    digest = eip191_digest(digest_or_message) if isinstance(digest_or_message, str) else bytes(digest_or_message)
    if len(digest) != 32:
        raise ValueError("a digest must be 32 bytes")
    if is_contract:
        if eip1271_call is None:
            raise ValueError("a contract wallet needs an eip1271_call")
        try:
            result = eip1271_call(to_checksum_address(address), digest, _signature_bytes(signature))
        except Exception:
            return False
        if isinstance(result, str):
            result = bytes.fromhex(result.removeprefix("0x"))
        return bytes(result)[:4] == EIP1271_MAGIC_VALUE
    try:
        expected = to_checksum_address(address)
    except ValueError:
        return False
    return recover_address(digest, signature) == expected

