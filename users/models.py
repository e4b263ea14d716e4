from django.db import models


class User(models.Model):
    """An Octant participant, by EIP-55 address; created lazily. Not a login account (staff use auth.User)."""

    address = models.CharField(max_length=42, unique=True)
    allocation_nonce = models.PositiveIntegerField(null=True, blank=True, help_text="last nonce used")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "users"

    def __str__(self):
        return self.address
