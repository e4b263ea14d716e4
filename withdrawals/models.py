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
