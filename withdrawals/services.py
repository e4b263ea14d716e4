"""Writes about withdrawals: confirming finalized merkle roots on the Vault, once each epoch's verification
lets it through."""
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from epochs.models import FinalizedEpochSnapshot
from octant.chain.backends import get_chain
from octant.core.exceptions import ChainError, VaultRootAlreadySet

from .models import EpochVerification

logger = logging.getLogger(__name__)


def vault_confirm() -> list[int]:
    """Set the merkle root (and, on a real chain, fund the Vault with the total withdrawals) of every
    finalized epoch whose root the Vault does not have yet; returns the epochs this run set. The chain
    backend sets each root exactly once (the local chain under its clock lock, ethereum through its
    journal of signed transactions), so concurrent or resumed runs never send one twice; the chain calls
    run outside any database transaction, so a journal is durable before its transaction is sent.

    Only epochs whose verification (docs/lifecycle.md §1.9) passed, or failed and was acknowledged by staff,
    go to the Vault; the others wait (a failed one is logged at every run until acknowledged)."""
    if not settings.VAULT_CONFIRM_WITHDRAWALS_ENABLED:
        return []
    chain = get_chain()
    confirmed = []
    unconfirmed = FinalizedEpochSnapshot.objects.filter(vault_confirmed_at__isnull=True,
                                                        withdrawals_merkle_root__isnull=False)
    cleared = EpochVerification.objects.filter(Q(passed=True) | Q(acknowledged_at__isnull=False),
                                               epoch=OuterRef("epoch"))
    pending = unconfirmed.filter(Exists(cleared))
    blocked = list(EpochVerification.objects.filter(
        passed=False, acknowledged_at__isnull=True,
        epoch__in=unconfirmed.values("epoch")).values_list("epoch", flat=True))
    if blocked:
        logger.error("vault_confirm: epochs %s wait: their verification failed and no staff acknowledged it "
                     "(the finalized snapshot's admin page)", blocked)
    for epoch, root, total in pending.order_by("epoch").values_list("epoch", "withdrawals_merkle_root",
                                                                    "total_withdrawals"):
        if chain.vault_merkle_root(epoch) is None:
            try:
                chain.set_vault_merkle_root(epoch, root, fund=total)
                confirmed.append(epoch)
            except VaultRootAlreadySet:
                pass  # another worker set it
            except ChainError as exc:  # e.g. sent but not mined yet: the next run picks it up
                logger.warning("vault_confirm: epoch %s: %s", epoch, exc)
                continue
        FinalizedEpochSnapshot.objects.filter(epoch=epoch, vault_confirmed_at__isnull=True).update(
            vault_confirmed_at=timezone.now())
    if confirmed:
        logger.info("vault_confirm: set the merkle roots of epochs %s", confirmed)
    return confirmed


def verification_acknowledge(*, epoch: int, user: str) -> bool:
    """Record that staff `user` let the epoch's failed verification through to the Vault (docs/lifecycle.md
    §1.9); True if it was a failed report not acknowledged yet, False otherwise (nothing changed)."""
    with transaction.atomic():
        report = EpochVerification.objects.select_for_update().filter(epoch=epoch).first()
        if report is None or not report.blocks_vault:
            return False
        report.acknowledged_by, report.acknowledged_at = user, timezone.now()
        report.save(update_fields=["acknowledged_by", "acknowledged_at"])
    logger.warning("verification of epoch %s: failed, acknowledged by %s: its root may go to the Vault", epoch, user)
    return True
