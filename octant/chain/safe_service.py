"""The local chain's Safe Transaction Service (docs/lifecycle.md §5.4): the local Safes (`chain safe add`) and
their off-chain messages with the owners' confirmations, in the JSON shapes of the Safe Transaction Service's
`api/v1` (as `sablier_stream_batches` returns the Sablier subgraph's). The multisig app serves them at
`/api/v1/` and reads them in process when SAFE_TRANSACTION_SERVICE_URL is empty."""
import re
from datetime import datetime

from django.conf import settings
from django.db import DataError, IntegrityError, transaction

from octant.core.exceptions import InvalidInput, SafeMessageNotFound, SafeNotFound

from .models import LocalSafe, LocalSafeMessage, LocalSafeMessageConfirmation

ZERO_ADDRESS = "0x" + "0" * 40
HASH = re.compile(r"0x[0-9a-fA-F]{64}")
KINDS = {27: "EOA", 28: "EOA", 31: "ETH_SIGN", 32: "ETH_SIGN"}  # by v: what `safes.signer` recovers


def _time(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _safe(address: str) -> LocalSafe:
    safe = LocalSafe.objects.filter(address=address).first()
    if safe is None:
        raise SafeNotFound(address)
    return safe


def safe_info(*, address: str) -> dict:
    """`GET /safes/{address}/`. A local Safe runs no transactions (nonce 0) and has no contract code of its
    own (zero singleton, handler and guard); version 1.3.0 names its message hashing (octant.chain.safes)."""
    safe = _safe(address)
    return {"address": safe.address, "nonce": "0", "threshold": safe.threshold, "owners": safe.owners,
            "masterCopy": ZERO_ADDRESS, "modules": [], "fallbackHandler": ZERO_ADDRESS, "guard": ZERO_ADDRESS,
            "version": "1.3.0"}


def safe_transactions(*, address: str) -> list[dict]:
    """`GET /safes/{address}/all-transactions/`: none, the local chain runs no Safe transactions."""
    _safe(address)
    return []


def _message(row: LocalSafeMessage) -> dict:
    confirmations = list(row.confirmations.all())
    signed = sorted(confirmations, key=lambda c: int(c.owner, 16))  # as Safe.checkSignatures takes them
    return {"created": _time(row.created), "modified": _time(row.modified), "safe": row.safe.address,
            "messageHash": row.message_hash, "message": row.message, "proposedBy": row.proposed_by,
            "safeAppId": row.safe_app_id,
            "confirmations": [{"created": _time(c.created), "modified": _time(c.modified), "owner": c.owner,
                               "signature": c.signature, "signatureType": c.signature_type} for c in confirmations],
            "preparedSignature": "0x" + "".join(c.signature[2:] for c in signed) if signed else None}


def safe_messages(*, address: str) -> list[dict]:
    """`GET /safes/{address}/messages/`: the Safe's messages, newest first."""
    safe = _safe(address)
    return [_message(row) for row in safe.messages.select_related("safe").prefetch_related("confirmations")]


def _stored_message(message_hash: str):
    """The message of a hash as the client writes it (0x and 64 hex digits, any case): a query of one row or none."""
    if not HASH.fullmatch(message_hash):
        return LocalSafeMessage.objects.none()
    return LocalSafeMessage.objects.select_related("safe").filter(message_hash=message_hash.lower())


def safe_message(*, message_hash: str) -> dict:
    """`GET /messages/{hash}/`."""
    row = _stored_message(message_hash).prefetch_related("confirmations").first()
    if row is None:
        raise SafeMessageNotFound(message_hash)
    return _message(row)


def _digest(message) -> bytes:
    """What the Safe's getMessageHash takes: the EIP-191 hash of a text, the EIP-712 hash of a typed data
    object."""
    from eth_account.messages import encode_typed_data  # lazy, as in octant.chain.local: a heavy import
    from eth_hash.auto import keccak

    from octant.core.signatures import eip191_digest

    if isinstance(message, str):
        return eip191_digest(message)
    if isinstance(message, dict):
        try:
            signable = encode_typed_data(full_message=message)
        except Exception:  # eth-account refuses malformed typed data with a dozen exception types
            raise InvalidInput({"message": ["Not valid EIP-712 typed data"]})
        return keccak(b"\x19" + signable.version + signable.header + signable.body)
    raise InvalidInput({"message": ["A text or an EIP-712 typed data object"]})


def _confirmation(row: LocalSafeMessage, signature: str) -> LocalSafeMessageConfirmation:
    """The confirmation `signature` makes: an owner's signature of the message's hash (else InvalidInput)."""
    from . import safes  # lazy: eth_keys and eth-abi

    try:
        raw = bytes.fromhex(signature.removeprefix("0x"))
    except (ValueError, AttributeError):
        raw = b""
    owner = safes.signer(message_hash=bytes.fromhex(row.message_hash[2:]), signature=raw)
    if owner is None or owner not in row.safe.owners:
        raise InvalidInput({"signature": ["Not a signature of the message by an owner of the Safe"]})
    return LocalSafeMessageConfirmation(message=row, owner=owner, signature="0x" + raw.hex(),
                                        signature_type=KINDS[raw[64]])


@transaction.atomic
def safe_message_add(*, address: str, message, signature: str, safe_app_id: int | None) -> dict:
    """`POST /safes/{address}/messages/`: an owner proposes a message with its signature."""
    from . import safes

    safe = _safe(address)
    message_hash = safes.message_hash(chain_id=settings.CHAIN_ID, safe=safe.address, message=_digest(message))
    row = LocalSafeMessage(safe=safe, message_hash="0x" + message_hash.hex(), message=message, safe_app_id=safe_app_id)
    confirmation = _confirmation(row, signature)
    row.proposed_by = confirmation.owner
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise InvalidInput({"message": [f"The Safe already has this message ({row.message_hash})"]})
    except DataError:  # a NUL character, which PostgreSQL does not store
        raise InvalidInput({"message": ["Not storable (a NUL character?)"]})
    confirmation.save()
    return _message(row)


@transaction.atomic
def safe_message_confirm(*, message_hash: str, signature: str) -> dict:
    """`POST /messages/{hash}/signatures/`: another owner adds its signature."""
    row = _stored_message(message_hash).select_for_update().first()
    if row is None:
        raise SafeMessageNotFound(message_hash)
    confirmation = _confirmation(row, signature)
    if row.confirmations.filter(owner=confirmation.owner).exists():
        raise InvalidInput({"signature": [f"{confirmation.owner} has already signed this message"]})
    confirmation.save()
    row.save(update_fields=["modified"])
    return _message(row)
