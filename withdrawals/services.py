"""Writes about withdrawals: confirming finalized merkle roots on the Vault."""
import logging

from django.conf import settings
from django.utils import timezone

from epochs.models import FinalizedEpochSnapshot
from octant.chain.backends import get_chain
from octant.core.exceptions import ChainError, VaultRootAlreadySet

logger = logging.getLogger(__name__)


def vault_confirm() -> list[int]:
    """Set the merkle root (and, on a real chain, fund the Vault with the total withdrawals) of every
    finalized epoch whose root the Vault does not have yet; returns the epochs this run set. The chain
    backend sets each root exactly once (the local chain under its clock lock, ethereum through its
    journal of signed transactions), so concurrent or resumed runs never send one twice; the chain calls
    run outside any database transaction, so a journal is durable before its transaction is sent."""
    if not settings.VAULT_CONFIRM_WITHDRAWALS_ENABLED:
        return []
    chain = get_chain()
    confirmed = []
    pending = FinalizedEpochSnapshot.objects.filter(vault_confirmed_at__isnull=True,
                                                    withdrawals_merkle_root__isnull=False)
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
