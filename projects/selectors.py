"""Reads about projects."""
from django.db import connection

from .models import Project


def project_addresses_sql() -> str:
    """The one read of an epoch's projects, as SQL that a statement reading more can fold in (parameter:
    the epoch): their addresses in the order they were added. `project_addresses` runs it."""
    return f"SELECT address FROM {connection.ops.quote_name(Project._meta.db_table)} WHERE epoch = %s ORDER BY id"


def project_addresses(*, epoch: int) -> list[str]:
    """The projects open for allocations in `epoch`, in the order they were added."""
    with connection.cursor() as cursor:
        cursor.execute(project_addresses_sql(), [epoch])
        return [address for address, in cursor.fetchall()]


def projects_cid(*, epoch: int) -> str:
    """The metadata CID of an epoch's projects: the most common CID among them ('' if none is set)."""
    cids = [c for c in Project.objects.filter(epoch=epoch).values_list("metadata_cid", flat=True) if c]
    return max(set(cids), key=cids.count) if cids else ""


def project_details(*, epochs: list[int], phrases: list[str]) -> list[dict]:
    """Projects of `epochs` whose name or address contains any of `phrases` (case-insensitive; an empty
    phrase matches everything), de-duplicated, by epoch order then phrase order."""
    results, seen = [], set()
    for epoch in epochs:
        projects = list(Project.objects.filter(epoch=epoch).order_by("id").values_list("name", "address"))
        for phrase in phrases or [""]:
            needle = phrase.strip().lower()
            for name, address in projects:
                if needle in name.lower() or needle in address.lower():
                    key = (epoch, address)
                    if key not in seen:
                        seen.add(key)
                        results.append({"name": name, "address": address, "epoch": epoch})
    return results


def epochs_with_projects() -> set[int]:
    """The epochs that have at least one project stored."""
    return set(Project.objects.values_list("epoch", flat=True).distinct())
