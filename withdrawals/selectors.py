"""Reads about withdrawals: merkle trees of finalized epochs, what an address can withdraw."""
from functools import lru_cache

from allocations.selectors import live_allocations
from deposits.selectors import budget_of, budgets_by_address
from epochs import selectors as epoch_selectors
from epochs.models import FinalizedEpochSnapshot
from octant.chain.backends import get_chain
from octant.core.exceptions import InvalidEpoch, MissingAddress, VerificationMissing
from octant.core.fields import sum_wei
from rewards import engine as rewards_engine
from users.selectors import window_patrons

from . import engine
from .models import EpochVerification, Reward


def leaves(*, epoch: int) -> list[tuple[str, int]]:
    return list(Reward.objects.filter(epoch=epoch).order_by("address").values_list("address", "amount"))


@lru_cache(maxsize=4)
def _tree(epoch: int, root: str | None) -> engine.MerkleTree:
    return engine.merkle_tree(leaves(epoch=epoch))


def merkle_tree(*, epoch: int) -> tuple[engine.MerkleTree, list[tuple[str, int]]]:
    """The epoch's tree, built once per process per (epoch, root); InvalidEpoch before finalization."""
    snapshot = FinalizedEpochSnapshot.objects.filter(epoch=epoch).first()
    if snapshot is None:
        raise InvalidEpoch()
    tree = _tree(epoch, snapshot.withdrawals_merkle_root)
    return tree, tree.leaves  # the rows it was built from: a warm call reads no reward row


def withdrawals(*, address: str, view: epoch_selectors.ChainView) -> list[dict]:
    """Everything `address` can still withdraw (docs/rewards.md §7): the open window's pending claim first, then
    one entry per reward row above the Vault's last claimed epoch, with its proof. Each entry has `epoch`,
    `amount` (wei), `proof` (hex strings) and `status` ("pending" until the Vault has the epoch's root,
    then "available")."""

    chain = get_chain()
    entries = []
    pending = view.pending
    if pending is not None:
        allocations = live_allocations(epoch=pending).filter(user__address=address)
        budget = budget_of(epoch=pending, address=address)
        if budget is not None and allocations.exists():
            claimed = budget - sum_wei(allocations, "amount")
            if claimed > 0:
                entries.append({"epoch": pending, "amount": claimed, "proof": [], "status": "pending"})
    last_claimed = chain.last_claimed_epoch(address)
    for epoch, amount in Reward.objects.filter(address=address, epoch__gt=last_claimed).order_by(
            "epoch").values_list("epoch", "amount"):
        tree, _ = merkle_tree(epoch=epoch)
        try:
            proof = tree.proof(address)
        except (KeyError, ValueError):
            raise MissingAddress(address)
        status = "available" if chain.vault_merkle_root(epoch) else "pending"
        entries.append({"epoch": epoch, "amount": amount, "proof": proof, "status": status})
    return entries


def unused_rewards(*, epoch: int) -> tuple[list[str], int]:
    """Budgets that were neither allocated nor given as a patron (docs/rewards.md §4.7)."""

    budgets = budgets_by_address(epoch=epoch)
    donors = set(live_allocations(epoch=epoch).values_list("user__address", flat=True).distinct())
    patrons = window_patrons(epoch=epoch)
    return rewards_engine.unused_rewards(budgets, donors=donors, patron_addresses=patrons)


def project_rewards(*, epoch: int) -> list[dict]:
    """Final project rewards of an epoch from its reward rows (empty before finalization), by address
    ascending as the reference lists them: `address`, `allocated` and `matched` (wei)."""
    rows = Reward.objects.filter(epoch=epoch, matched__isnull=False).order_by("address")
    return [{"address": r.address, "allocated": r.amount - r.matched, "matched": r.matched} for r in rows]


def epoch_verification(*, epoch: int) -> EpochVerification:
    """The verification report of a finalized epoch (docs/lifecycle.md §1.9): InvalidEpoch before its
    finalization, VerificationMissing while its verification has not run yet."""
    if not FinalizedEpochSnapshot.objects.filter(epoch=epoch).exists():
        raise InvalidEpoch()
    report = EpochVerification.objects.filter(epoch=epoch).first()
    if report is None:
        raise VerificationMissing(epoch)
    return report
