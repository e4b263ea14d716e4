from django.db import models


class MultisigSignature(models.Model):
    """A message a Safe user is signing off-chain with its owners (terms of service or an allocation),
    waiting for the Safe's threshold of confirmations in the Safe Transaction Service (docs/lifecycle.md §5.3)."""

    class Type(models.TextChoices):
        TOS = "tos"
        ALLOCATION = "allocation"

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"

    address = models.CharField(max_length=42)
    type = models.CharField(max_length=10, choices=Type.choices)
    message = models.TextField(help_text="the ToS text, or the allocation as camelCase JSON")
    msg_hash = models.CharField(max_length=66, help_text="the Safe's getMessageHash(safe_msg_hash)")
    safe_msg_hash = models.CharField(max_length=66, help_text="EIP-191/EIP-712 digest of the message")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    user_ip = models.CharField(max_length=64)
    confirmed_signature = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["address", "type", "status"], name="multisig_by_address_type")]

    def __str__(self):
        return f"{self.type} of {self.address} ({self.status})"
