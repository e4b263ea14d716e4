"""Writes about projects."""
from django.db import transaction

from .models import Project


@transaction.atomic
def projects_copy_to_next_epoch(*, epoch: int) -> int:
    """Copy every project of `epoch` to `epoch + 1` (those already there are left as they are).
    Returns how many were created."""
    existing = set(Project.objects.filter(epoch=epoch + 1).values_list("address", flat=True))
    copies = [
        Project(epoch=epoch + 1, address=p.address, name=p.name, description=p.description, website=p.website,
                metadata_cid=p.metadata_cid)
        for p in Project.objects.filter(epoch=epoch).order_by("id") if p.address not in existing
    ]
    Project.objects.bulk_create(copies)
    return len(copies)
