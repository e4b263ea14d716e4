from django.db import models


class PassportStamps(models.Model):
    """A user's Gitcoin Passport score and unexpired stamps as fetched (append-only; the latest row counts).
    `score` is the scorer's decimal string; `expires_at` the earliest stamp expiry (Unix seconds), or the
    fetch time when there are no stamps."""

    user = models.ForeignKey("users.User", on_delete=models.PROTECT, related_name="passport_stamps")
    score = models.CharField(max_length=40)
    expires_at = models.BigIntegerField(help_text="Unix seconds")
    stamps = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["user", "-id"], name="stamps_latest_by_user")]
        verbose_name_plural = "passport stamps"


class PassportListEntry(models.Model):
    """An address on the guest list (+21 to its passport score) or the timeout list (score and UQ 0), for
    mainnet (CHAIN_ID 1) or for every other chain. Addresses are stored lower-case."""

    class Kind(models.TextChoices):
        GUEST = "guest"
        TIMEOUT = "timeout"

    kind = models.CharField(max_length=7, choices=Kind.choices)
    address = models.CharField(max_length=42)
    mainnet = models.BooleanField(default=False, help_text="applies on mainnet (else on every other chain)")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "address"]
        constraints = [models.UniqueConstraint(fields=["kind", "address", "mainnet"], name="passport_list_unique")]
        verbose_name = "guest/timeout list entry"
        verbose_name_plural = "guest and timeout lists"

    def save(self, *args, **kwargs):
        self.address = self.address.strip().lower()
        super().save(*args, **kwargs)

    def __str__(self):
        return f"{self.kind}: {self.address}"


class ScoreDelegation(models.Model):
    """One salted SHA-256 hash of a UQ delegation: of the primary, of the secondary, or of the pair; the
    addresses themselves are never stored together in clear (docs/lifecycle.md §9.5)."""

    hashed_addr = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
