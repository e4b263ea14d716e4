from django.db import models

from octant.chain.epoch_math import EpochTimes
from octant.core.fields import WeiField


class Epoch(EpochTimes, models.Model):
    """An epoch indexed from the chain backend (the subgraph's Epoch entity): its timing (`end` and
    `finalized_at` from octant.chain.epoch_math)."""

    number = models.PositiveIntegerField(unique=True)
    start = models.BigIntegerField(help_text="Unix seconds")
    duration = models.PositiveBigIntegerField(help_text="seconds")
    decision_window = models.PositiveBigIntegerField(help_text="seconds")

    class Meta:
        ordering = ["number"]

    def __str__(self):
        return f"Epoch {self.number}"


class PendingEpochSnapshot(models.Model):
    """Taken when the allocation window of `epoch` opens (docs/lifecycle.md §1.5)."""

    epoch = models.PositiveIntegerField(unique=True)
    eth_proceeds = WeiField()
    total_effective_deposit = WeiField()
    locked_ratio = models.CharField(max_length=80, help_text="decimal string")
    total_rewards = WeiField()
    vanilla_individual_rewards = WeiField()
    operational_cost = WeiField()
    ppf = WeiField(null=True, blank=True, verbose_name="PPF")
    community_fund = WeiField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["epoch"]

    def __str__(self):
        return f"Pending snapshot of epoch {self.epoch}"


class FinalizedEpochSnapshot(models.Model):
    """Taken when the allocation window of `epoch` closes (docs/lifecycle.md §1.6)."""

    epoch = models.PositiveIntegerField(unique=True)
    matched_rewards = WeiField()
    patrons_rewards = WeiField(default=0)
    leftover = WeiField(signed=True, default=0)
    withdrawals_merkle_root = models.CharField(max_length=66, null=True, blank=True)
    total_withdrawals = WeiField(null=True, blank=True)
    staking_matched_reserved_for_v2 = WeiField(default=0)
    vault_confirmed_at = models.DateTimeField(null=True, blank=True, help_text="when the root was set on the Vault")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["epoch"]

    def __str__(self):
        return f"Finalized snapshot of epoch {self.epoch}"
