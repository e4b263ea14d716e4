from django.db import models

from octant.core.fields import ADDRESS_HELP, AddressField


class EpochZeroClaim(models.Model):
    """An address eligible for the epoch-0 GLM airdrop. A claim reserves the sender's next transaction
    nonce (`claim_nonce`); the transfer job sends the GLM with exactly that nonce."""

    address = AddressField(unique=True, help_text=ADDRESS_HELP)
    claimed = models.BooleanField(default=False)
    claim_nonce = models.PositiveIntegerField(null=True, blank=True, unique=True)
    transaction_hash = models.CharField(max_length=66, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["address"]
        verbose_name = "epoch-0 GLM claim"

    def __str__(self):
        return self.address
