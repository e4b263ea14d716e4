from django.db import models

from octant.core.fields import ADDRESS_HELP, AddressField


class Project(models.Model):
    """A project open for allocations in one epoch, curated by staff (or registered on the local chain). What
    staff enter is the project's metadata document, which the web client reads at /ipfs/ (docs/lifecycle.md
    §8.2)."""

    epoch = models.PositiveIntegerField(
        help_text="The epoch whose allocation window lists this project. An epoch's projects are frozen once "
                  "its pending snapshot exists (when its allocation window opens).")
    address = AddressField(help_text="The project's payout address: " + ADDRESS_HELP)
    name = models.CharField(max_length=200, blank=True, default="",
                            help_text="The project's name, shown by the web client; searchable.")
    intro_description = models.CharField(max_length=300, blank=True, default="",
                                         help_text="One or two sentences shown under the name in the project list.")
    description = models.TextField(
        blank=True, default="",
        help_text="Shown on the project's page: plain text, a blank line between paragraphs; web addresses "
                  "become links.")
    website = models.URLField(blank=True, default="", help_text="https://… (optional)")
    website_label = models.CharField(max_length=100, blank=True, default="",
                                     help_text="The text of the website link (empty: the address itself).")
    profile_image = models.ImageField(
        blank=True, default="",
        help_text="The project's picture (PNG, JPEG, GIF or WebP; square): stored under the CID of its bytes.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["epoch", "id"]
        constraints = [models.UniqueConstraint(fields=["epoch", "address"], name="project_unique_per_epoch")]

    def __str__(self):
        return f"{self.name or self.address} (epoch {self.epoch})"
