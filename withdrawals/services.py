"""Writes about withdrawals: confirming finalized merkle roots on the Vault."""
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from epochs.models import FinalizedEpochSnapshot
from octant.chain.backends import get_chain

logger = logging.getLogger(__name__)


def vault_confirm() -> list[int]:
    """Set the merkle root of every finalized epoch whose root the Vault does not have yet; returns the
    epochs confirmed. Each snapshot row is locked (skipping rows another worker holds) and marked in the
    same transaction, so two workers never send the same root twice."""
    if not settings.VAULT_CONFIRM_WITHDRAWALS_ENABLED:
        return []
    chain = get_chain()
    confirmed = []
    pending = FinalizedEpochSnapshot.objects.filter(vault_confirmed_at__isnull=True,
                                                    withdrawals_merkle_root__isnull=False)
    for epoch in pending.order_by("epoch").values_list("epoch", flat=True):
        with transaction.atomic():
            snapshot = (FinalizedEpochSnapshot.objects.select_for_update(skip_locked=True)
                        .filter(epoch=epoch, vault_confirmed_at__isnull=True).first())
            if snapshot is None:
                continue  # another worker has it
            if chain.vault_merkle_root(epoch) is None:
                chain.set_vault_merkle_root(epoch, snapshot.withdrawals_merkle_root)
                confirmed.append(epoch)
            snapshot.vault_confirmed_at = timezone.now()
            snapshot.save(update_fields=["vault_confirmed_at"])
    if confirmed:
        logger.info("vault_confirm: set the merkle roots of epochs %s", confirmed)
    return confirmed
