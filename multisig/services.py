"""Safe (multisig) users: their terms-of-service consent and allocations are messages the owners sign
off-chain; once the Safe Transaction Service holds enough confirmations, the message is applied through
the same services as an EOA's (docs/lifecycle.md §5.3)."""
import json
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache

from allocations.services import allocate, allocation_check
from epochs.selectors import ChainView
from octant.chain.backends import get_chain
from octant.core import exceptions, signatures
from octant.core.addresses import checksum
from users.selectors import has_accepted_tos
from users.services import tos_accept

from .models import MultisigSignature
from .safe_api import SafeTransactionService

logger = logging.getLogger(__name__)

REJECTING_ALLOCATION = (exceptions.EmptyAllocations, exceptions.WrongAllocationsNonce,
                        exceptions.NotAllowedInPatronMode, exceptions.RewardsBudgetExceeded,
                        exceptions.BudgetNotFound)
REJECTING_TOS = (exceptions.DuplicateConsent, exceptions.InvalidSignature)


def latest_pending(*, address: str, op_type: str) -> MultisigSignature | None:
    return MultisigSignature.objects.filter(address=address, type=op_type,
                                            status=MultisigSignature.Status.PENDING).order_by("-id").first()


def submit(*, address: str, op_type: str, message, ip: str, view: ChainView | None) -> MultisigSignature:
    """Store a Safe's message as pending once the Safe Transaction Service knows it for this Safe. The
    message of the terms of service is their text; an allocation's is parsed by the caller (an object with
    `allocations` [(project, amount)], `nonce` and `is_manually_edited`: allocations.inputs.allocation_message)
    and checked against the chain `view` (None for the terms of service)."""

    if op_type == MultisigSignature.Type.TOS:
        if not isinstance(message, str) or message != signatures.tos_message(address):
            raise exceptions.InvalidMultisigSignatureRequest()
        if has_accepted_tos(address=address):
            raise exceptions.DuplicateConsent(address)
        safe_msg_hash, stored = signatures.eip191_digest(message), message
    else:
        if view.pending is None:
            raise exceptions.InvalidEpoch()
        allocation_check(user_address=address, nonce=message.nonce, view=view, allocations=message.allocations)
        payload = {"allocations": [{"proposalAddress": project, "amount": amount}
                                   for project, amount in message.allocations], "nonce": message.nonce}
        safe_msg_hash = signatures.allocation_digest(payload, chain_id=settings.CHAIN_ID)
        stored = signatures.allocation_message_json(payload, is_manually_edited=message.is_manually_edited)
    msg_hash = "0x" + get_chain().safe_message_hash(address, safe_msg_hash).hex()
    found = SafeTransactionService().message(msg_hash)
    try:
        safe = checksum(found.get("safe"))
    except ValueError:
        safe = None
    if safe != address:
        raise exceptions.InvalidMultisigAddress()
    return MultisigSignature.objects.create(address=address, type=op_type, message=stored, msg_hash=msg_hash,
                                            safe_msg_hash="0x" + safe_msg_hash.hex(), user_ip=ip)


def _confirmed_signature(service: SafeTransactionService, row: MultisigSignature) -> str | None:
    """The Safe's prepared signature once its confirmations reach the threshold, else None."""
    message = service.message(row.msg_hash)
    threshold = service.safe(row.address).get("threshold")
    confirmations = message.get("confirmations") or []
    if not isinstance(threshold, int) or len(confirmations) < threshold:
        return None
    return message.get("preparedSignature") or None


def _settle(row: MultisigSignature, status: str, signature: str | None) -> None:
    MultisigSignature.objects.filter(pk=row.pk, status=MultisigSignature.Status.PENDING).update(
        status=status, confirmed_signature=signature)


def _apply_tos(row: MultisigSignature, signature: str) -> None:
    tos_accept(address=row.address, signature=signature, ip=row.user_ip)


def _apply_allocation(row: MultisigSignature, signature: str, *, view: ChainView) -> None:
    data = json.loads(row.message)
    allocate(user_address=row.address, nonce=data["payload"]["nonce"], signature=signature,
             is_manually_edited=data["isManuallyEdited"], view=view,
             allocations=[(checksum(a["proposalAddress"]), int(a["amount"])) for a in data["payload"]["allocations"]])


def _process(service, rows, apply, rejecting) -> dict:
    counts = {"approved": 0, "rejected": 0}
    for index, row in enumerate(rows):
        if index and settings.MULTISIG_APPROVE_PAUSE:
            time.sleep(settings.MULTISIG_APPROVE_PAUSE)  # the Safe API's rate limit
        signature = None
        try:
            signature = _confirmed_signature(service, row)
            if signature is None:
                continue
            apply(row, signature)
        except rejecting as exc:
            logger.info("multisig %s of %s rejected: %s", row.type, row.address, exc)
            _settle(row, MultisigSignature.Status.REJECTED, signature)
            counts["rejected"] += 1
        except exceptions.OctantError as exc:  # stays pending: the next run tries again
            logger.warning("multisig %s of %s not applied: %s", row.type, row.address, exc)
        else:
            _settle(row, MultisigSignature.Status.APPROVED, signature)
            counts["approved"] += 1
    return counts


LOCK_KEY = "multisig-approve-running"


def approve_pending(*, read_view: Callable[[], ChainView]) -> dict:
    """Apply every pending message whose Safe has confirmed it: terms of service first, then (only while
    an allocation window is open) allocations. One run at a time. A run may last minutes (the Safe API's
    rate limit), so each allocation is made on a view of the chain of its own: `read_view()` (the caller's
    `epochs.selectors.chain_view`) is called before the allocations and before each of them."""

    if not cache.add(LOCK_KEY, True, timeout=600):
        return {"skipped": True}
    try:
        service = SafeTransactionService()
        Status, Type = MultisigSignature.Status, MultisigSignature.Type
        result = {"tos": _process(service, list(MultisigSignature.objects.filter(
            type=Type.TOS, status=Status.PENDING).order_by("id")), _apply_tos, REJECTING_TOS)}
        if read_view().pending is not None:
            result["allocation"] = _process(service, list(MultisigSignature.objects.filter(
                type=Type.ALLOCATION, status=Status.PENDING).order_by("id")),
                lambda row, signature: _apply_allocation(row, signature, view=read_view()), REJECTING_ALLOCATION)
        return result
    finally:
        cache.delete(LOCK_KEY)
