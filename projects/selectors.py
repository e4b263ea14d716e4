"""Reads about projects."""
from .models import Project


def project_addresses(*, epoch: int) -> list[str]:
    """The projects open for allocations in `epoch`, in the order they were added."""
    return list(Project.objects.filter(epoch=epoch).order_by("id").values_list("address", flat=True))
