"""State of the embedded `local` chain: its clock, epoch schedule, staking proceeds, vault roots and
passport scores. Deposit events live in the deposits app and projects in the projects app, whichever
backend runs."""
from django.db import models

from octant.core.address_field import AddressField
from octant.core.fields import WeiField


class ChainClock(models.Model):
    """Singleton (pk=1). Chain time = `base`, plus the wall-clock seconds since `anchor` while running."""

    base = models.BigIntegerField()
    anchor = models.FloatField()

    class Meta:
        verbose_name = "chain clock"


class LocalEpochProps(models.Model):
    """One entry of the Epochs contract's props list (lifecycle.md §1.1), in `index` order."""

    index = models.PositiveIntegerField(unique=True)
    from_epoch = models.PositiveIntegerField()
    to_epoch = models.PositiveIntegerField(default=0)
    from_ts = models.BigIntegerField()
    duration = models.PositiveBigIntegerField()
    decision_window = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["index"]
        verbose_name = "epoch props"
        verbose_name_plural = "epoch props"


class LocalStakingProceeds(models.Model):
    epoch = models.PositiveIntegerField(unique=True)
    amount = WeiField()

    class Meta:
        ordering = ["epoch"]
        verbose_name_plural = "staking proceeds"


class LocalVaultRoot(models.Model):
    epoch = models.PositiveIntegerField(unique=True)
    root = models.CharField(max_length=66)
    set_at = models.BigIntegerField(help_text="chain time")

    class Meta:
        ordering = ["epoch"]


class LocalPassportScore(models.Model):
    address = AddressField(unique=True)
    score = models.CharField(max_length=40, help_text="decimal score")
    updated_at = models.DateTimeField(auto_now=True)


class LocalSafe(models.Model):
    """A Gnosis Safe contract wallet on the local chain: its owners (EIP-55) and signature threshold."""

    address = AddressField(unique=True)
    owners = models.JSONField(default=list)
    threshold = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Safe {self.address} ({self.threshold} of {len(self.owners)})"



class LocalGlmTransfer(models.Model):
    """A GLM transfer from the claim sender (GLM_SENDER_ADDRESS) on the local chain, by transaction nonce."""

    nonce = models.PositiveIntegerField(unique=True)
    to = models.CharField(max_length=42)
    amount = WeiField()
    transaction_hash = models.CharField(max_length=66, unique=True)
    timestamp = models.BigIntegerField(help_text="chain time")

    class Meta:
        ordering = ["nonce"]
