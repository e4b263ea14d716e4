from django.db import models


class Project(models.Model):
    """A project open for allocations in one epoch, curated by staff (or registered on the local chain)."""

    epoch = models.PositiveIntegerField()
    address = models.CharField(max_length=42)
    name = models.CharField(max_length=200, blank=True, default="")
    description = models.TextField(blank=True, default="")
    website = models.URLField(blank=True, default="")
    metadata_cid = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["epoch", "id"]
        constraints = [models.UniqueConstraint(fields=["epoch", "address"], name="project_unique_per_epoch")]

    def __str__(self):
        return f"{self.name or self.address} (epoch {self.epoch})"
