from django.db import models

from octant.core.addresses import checksum


class EpochZeroClaim(models.Model):
    """An address eligible for the epoch-0 GLM airdrop. A claim reserves the sender's next transaction
    nonce (`claim_nonce`); the transfer job sends the GLM with exactly that nonce."""

    address = models.CharField(max_length=42, unique=True)
    claimed = models.BooleanField(default=False)
    claim_nonce = models.PositiveIntegerField(null=True, blank=True, unique=True)
    transaction_hash = models.CharField(max_length=66, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["address"]
        verbose_name = "epoch-0 GLM claim"

    def save(self, *args, **kwargs):
        self.address = checksum(self.address.strip())
        super().save(*args, **kwargs)

    def __str__(self):
        return self.address
