"""The epoch-0 GLM claim (docs/lifecycle.md §9.2): an eligible address signs the EIP-712
ClaimGLMPayload, gets the sender's next nonce reserved, and the transfer job sends the GLM with it."""
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max

from octant.chain.backends import get_chain
from octant.core import signatures
from octant.core.exceptions import ChainError, GlmClaimDisabled, GlmClaimed, InvalidInput, NotEligibleToClaimGLM

from .models import EpochZeroClaim

logger = logging.getLogger(__name__)


def _enabled() -> None:
    if not settings.GLM_CLAIM_ENABLED:
        raise GlmClaimDisabled()


def claim_check(*, address: str) -> int:
    """The GLM the address can still claim."""
    _enabled()
    row = EpochZeroClaim.objects.filter(address=address).first()
    if row is None:
        raise NotEligibleToClaimGLM(address)
    return 0 if row.claimed else settings.GLM_WITHDRAWAL_AMOUNT


def claim(*, signature: str) -> str:
    """Mark the signer's claim and reserve its transfer nonce; returns the signer's address."""
    _enabled()
    message = signatures.claim_glm_message(settings.GLM_WITHDRAWAL_AMOUNT)
    address = signatures.recover_address(signatures.claim_glm_digest(message, chain_id=settings.CHAIN_ID), signature)
    if address is None:
        raise InvalidInput({"signature": ["Not a valid signature"]})
    for _ in range(5):
        try:
            with transaction.atomic():
                row = EpochZeroClaim.objects.select_for_update().filter(address=address).first()
                if row is None:
                    raise NotEligibleToClaimGLM(address)
                if row.claimed:
                    raise GlmClaimed(address)
                last = EpochZeroClaim.objects.aggregate(last=Max("claim_nonce"))["last"]
                row.claimed, row.claim_nonce = True, settings.GLM_SENDER_NONCE if last is None else last + 1
                row.save(update_fields=["claimed", "claim_nonce"])
                return address
        except IntegrityError:  # a concurrent claim took that nonce: take the next one
            continue
    raise GlmClaimed(address)


def transfer_claimed() -> int:
    """Send the claimed GLM whose nonces the sender has not used yet, in nonce order; returns how many were
    sent. A refused transfer stops the run (later nonces would wait for it anyway)."""
    chain = get_chain()
    sent = 0
    for row in EpochZeroClaim.objects.filter(claimed=True, claim_nonce__gte=chain.glm_sender_nonce()).order_by(
            "claim_nonce"):
        try:
            tx = chain.transfer_glm(row.address, settings.GLM_WITHDRAWAL_AMOUNT, nonce=row.claim_nonce)
        except ChainError as exc:
            logger.error("GLM transfer to %s (nonce %s) failed: %s", row.address, row.claim_nonce, exc)
            break
        EpochZeroClaim.objects.filter(pk=row.pk).update(transaction_hash=tx)
        sent += 1
    return sent
