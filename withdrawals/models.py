from django.db import models

from octant.core.fields import WeiField


class Reward(models.Model):
    """A merkle leaf of a finalized epoch: a user's claimed budget (`matched` null) or a project's
    allocated + matched rewards."""

    epoch = models.PositiveIntegerField()
    address = models.CharField(max_length=42)
    amount = WeiField()
    matched = WeiField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["epoch", "address"]
        constraints = [models.UniqueConstraint(fields=["epoch", "address"], name="reward_unique_per_epoch")]
        indexes = [models.Index(fields=["address", "epoch"])]


class EpochVerification(models.Model):
    """The report of a finalized epoch recomputed by itself from its stored inputs (docs/lifecycle.md §1.9):
    one per epoch, replaced when the verification runs again. A failed report blocks the Vault's root
    (withdrawals.services.vault_confirm) until staff acknowledge it."""

    epoch = models.PositiveIntegerField(unique=True)
    passed = models.BooleanField()
    exact = models.BooleanField(help_text="exact rewards mode (EXACT_REWARDS_FROM_EPOCH): every margin is 0")
    checks = models.JSONField(help_text="[{name, expected, actual, margin, passed, detail}], amounts as wei strings")
    verified_at = models.DateTimeField()
    acknowledged_by = models.CharField(max_length=150, blank=True, help_text="the staff user who let a failed "
                                                                           "report through to the Vault")
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["epoch"]

    def __str__(self):
        return f"Epoch {self.epoch}: {'passed' if self.passed else 'FAILED'}"

    @property
    def blocks_vault(self) -> bool:
        return not self.passed and self.acknowledged_at is None
