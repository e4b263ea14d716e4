from django.db import models

from octant.core.fields import WeiField


class DepositEvent(models.Model):
    """One GLM lock or unlock, indexed from the chain backend (local chain or the subgraph)."""

    class Type(models.TextChoices):
        LOCK = "lock"
        UNLOCK = "unlock"

    class Source(models.TextChoices):
        OCTANT = "octant"
        SABLIER = "sablier"

    key = models.CharField(max_length=100, unique=True, help_text="idempotency key: re-indexing never duplicates")
    address = models.CharField(max_length=42)
    type = models.CharField(max_length=6, choices=Type.choices)
    amount = WeiField()
    before = WeiField(help_text="locked balance before the event")
    after = WeiField(help_text="locked balance after the event")
    timestamp = models.BigIntegerField(help_text="Unix seconds")
    source = models.CharField(max_length=7, choices=Source.choices, default=Source.OCTANT)
    transaction_hash = models.CharField(max_length=66, blank=True, default="")
    block_number = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["timestamp", "id"]
        indexes = [models.Index(fields=["address", "timestamp"]), models.Index(fields=["timestamp"])]

    def __str__(self):
        return f"{self.type} {self.amount} by {self.address} at {self.timestamp}"


class Deposit(models.Model):
    """A user's effective deposit in an epoch, written by the pending snapshot for every processed user."""

    epoch = models.PositiveIntegerField()
    address = models.CharField(max_length=42)
    effective_deposit = WeiField()
    epoch_end_deposit = WeiField(help_text="locked balance at the epoch end; the next epoch's opening balance")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["epoch", "address"]
        constraints = [models.UniqueConstraint(fields=["epoch", "address"], name="deposit_unique_per_epoch")]


class Budget(models.Model):
    """A user's rewards budget in an epoch (only non-zero budgets are stored)."""

    epoch = models.PositiveIntegerField()
    address = models.CharField(max_length=42)
    amount = WeiField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["epoch", "address"]
        constraints = [models.UniqueConstraint(fields=["epoch", "address"], name="budget_unique_per_epoch")]


class SablierStream(models.Model):
    """A Sablier lockup stream of GLM to an Octant user (docs/lifecycle.md §4.3), indexed by the chain backend;
    its actions are `DepositEvent`s of source "sablier". `intact_amount` is what the stream still holds
    (deposit - withdrawn - refunded)."""

    stream_id = models.CharField(max_length=100, unique=True)
    recipient = models.CharField(max_length=42, db_index=True)
    deposit_amount = WeiField()
    withdrawn_amount = WeiField(default=0)
    intact_amount = WeiField()
    start_time = models.BigIntegerField(help_text="Unix seconds")
    end_time = models.BigIntegerField(help_text="Unix seconds")
    cancelled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_time", "id"]

    def __str__(self):
        return f"stream {self.stream_id} to {self.recipient}"
