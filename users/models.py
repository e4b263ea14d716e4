from django.db import models


class User(models.Model):
    """An Octant participant, by EIP-55 address; created lazily. Not a login account (staff use auth.User).
    Its row is the lock that serialises one user's allocations."""

    address = models.CharField(max_length=42, unique=True)
    allocation_nonce = models.PositiveIntegerField(null=True, blank=True, help_text="last nonce used")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "users"

    def __str__(self):
        return self.address


class PatronEvent(models.Model):
    """Append-only log of patron-mode toggles; the latest event at a time says whether the user is a patron.
    `timestamp` is chain time, so it compares with epoch timing whichever chain backend runs."""

    address = models.CharField(max_length=42)
    enabled = models.BooleanField()
    timestamp = models.BigIntegerField(help_text="chain time, Unix seconds")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["address", "timestamp"])]


class UserConsent(models.Model):
    """Acceptance of the Terms of Service (its existence means "accepted")."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="consents")
    ip = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)


class UsedPatronMessage(models.Model):
    """A legacy patron-mode text (octant.core.signatures.patron_mode_message without a nonce) accepted once:
    its EIP-191 digest. That text carries no nonce, so a signature of it would switch the mode every time it
    is sent; the digest, not the signature's bytes, is what is remembered, since one signed text has several
    valid encodings (v as 27/28 or 0/1, a Safe's owners). A toggle of the same address and action then signs
    the text with the user's nonce (allocations.services.patron_mode_toggle)."""

    digest = models.CharField(max_length=64, unique=True, help_text="keccak256 EIP-191 digest, hex")
    created_at = models.DateTimeField(auto_now_add=True)
