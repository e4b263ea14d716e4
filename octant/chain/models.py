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


# --- the ethereum backend's own state


class IndexCursor(models.Model):
    """The last subgraph block fully indexed for one entity (`lockeds`, `unlockeds`, `withdrawals`, ...)."""

    entity = models.CharField(max_length=40, unique=True)
    block = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    @classmethod
    def block_of(cls, entity: str) -> int:
        return cls.objects.filter(entity=entity).values_list("block", flat=True).first() or 0


class IndexedWithdrawal(models.Model):
    """A Vault `Withdrawn` event, indexed from the subgraph."""

    key = models.CharField(max_length=100, unique=True, help_text="the subgraph entity id")
    address = models.CharField(max_length=42, db_index=True)
    amount = WeiField()
    epoch = models.PositiveIntegerField()
    timestamp = models.BigIntegerField()
    block_number = models.BigIntegerField()
    transaction_hash = models.CharField(max_length=66)

    class Meta:
        ordering = ["timestamp", "id"]


class IndexedVaultRoot(models.Model):
    """A Vault `MerkleRootSet` event, indexed from the subgraph."""

    epoch = models.PositiveIntegerField(unique=True)
    root = models.CharField(max_length=66)
    timestamp = models.BigIntegerField()
    block_number = models.BigIntegerField()

    class Meta:
        ordering = ["epoch"]


class StoredProceeds(models.Model):
    """An ended epoch's staking proceeds as first read from the chain (and Etherscan/Bitquery on mainnet)."""

    epoch = models.PositiveIntegerField(unique=True)
    amount = WeiField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["epoch"]
        verbose_name_plural = "stored proceeds"


class ChainTransaction(models.Model):
    """A transaction the service sends (the vault job), signed and journalled before it is first sent, so a
    worker that dies after sending leaves the exact bytes for the next run to resend, never a second one."""

    class Status(models.TextChoices):
        SIGNED = "signed"
        MINED = "mined"
        FAILED = "failed"

    key = models.CharField(max_length=60, unique=True, help_text="what it does, e.g. vault-root:5")
    sender = models.CharField(max_length=42)
    nonce = models.PositiveBigIntegerField()
    tx_hash = models.CharField(max_length=66, unique=True)
    raw = models.TextField(help_text="the signed transaction, hex")
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.SIGNED)
    block_number = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["nonce"]
        constraints = [models.UniqueConstraint(fields=["sender", "nonce"], name="chain_tx_unique_nonce")]
