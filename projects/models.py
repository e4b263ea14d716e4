from django.db import models

from octant.core.fields import ADDRESS_HELP, AddressField


class Project(models.Model):
    """A project open for allocations in one epoch, curated by staff (or registered on the local chain)."""

    epoch = models.PositiveIntegerField(
        help_text="The epoch whose allocation window lists this project. An epoch's projects are frozen once "
                  "its pending snapshot exists (when its allocation window opens).")
    address = AddressField(help_text="The project's payout address: " + ADDRESS_HELP)
    name = models.CharField(max_length=200, blank=True, default="", help_text="Shown to staff; searchable.")
    description = models.TextField(blank=True, default="", help_text="A short description, for staff.")
    website = models.URLField(blank=True, default="", help_text="https://… (optional)")
    metadata_cid = models.CharField(
        max_length=100, blank=True, default="",
        help_text="IPFS CID of the epoch's project metadata (served as projectsCid; optional).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["epoch", "id"]
        constraints = [models.UniqueConstraint(fields=["epoch", "address"], name="project_unique_per_epoch")]

    def __str__(self):
        return f"{self.name or self.address} (epoch {self.epoch})"
