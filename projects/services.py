"""Writes about projects."""
import csv
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from epochs.models import PendingEpochSnapshot
from octant.chain.backends import get_chain
from octant.core.exceptions import EpochFrozen

from .models import Project


def epoch_editable_check(*, epoch: int) -> None:
    """Raise EpochFrozen if the epoch's projects and staking proceeds are fixed (its pending snapshot exists)."""

    if PendingEpochSnapshot.objects.filter(epoch=epoch).exists():
        raise EpochFrozen(epoch)


@transaction.atomic
def projects_copy_to_next_epoch(*, epoch: int) -> int:
    """Copy every project of `epoch` to `epoch + 1` (those already there are left as they are).
    Returns how many were created."""
    existing = set(Project.objects.filter(epoch=epoch + 1).values_list("address", flat=True))
    copies = [
        Project(epoch=epoch + 1, address=p.address, name=p.name, intro_description=p.intro_description,
                description=p.description, website=p.website, website_label=p.website_label,
                profile_image=p.profile_image.name)
        for p in Project.objects.filter(epoch=epoch).order_by("id") if p.address not in existing
    ]
    Project.objects.bulk_create(copies)
    return len(copies)


def projects_describe(*, address: str, **metadata) -> int:
    """Set metadata fields (docs/lifecycle.md §8.2) of `address`'s projects in every epoch not yet frozen, as
    staff would in the admin; returns how many rows changed."""
    frozen = PendingEpochSnapshot.objects.values("epoch")
    return Project.objects.filter(address=address).exclude(epoch__in=frozen).update(**metadata)


@dataclass(frozen=True)
class ImportResult:
    created: int
    errors: list[tuple[int, str]]  # (CSV line number, message); nothing is created when there is any


IMPORT_COLUMNS = ("name", "address", "website", "description", "website_label", "intro_description")
IMPORT_MAX_ROWS = 1000


def projects_import_csv(*, epoch: int, text: str) -> ImportResult:
    """Add the projects of a CSV (a header naming its columns among IMPORT_COLUMNS; address required, the
    rest optional; images are uploaded in the admin) to `epoch`, all or nothing: any bad row (invalid
    address or website, a value too long, an address already in the epoch or twice in the file) is reported
    with its line number and nothing is created."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    if "address" not in header or set(header) - set(IMPORT_COLUMNS):
        return ImportResult(0, [(1, "The first line must name the columns: " + ",".join(IMPORT_COLUMNS)
                                 + " (address required, the others optional).")])
    reader.fieldnames = header
    existing = set(Project.objects.filter(epoch=epoch).values_list("address", flat=True))
    projects, errors, seen = [], [], {}
    for row in reader:
        line = reader.line_num
        if len(projects) + len(errors) >= IMPORT_MAX_ROWS:
            errors.append((line, f"Too many rows: at most {IMPORT_MAX_ROWS} per import."))
            break
        if None in row:
            errors.append((line, "More values than columns."))
            continue
        values = {k: (row.get(k) or "").strip() for k in IMPORT_COLUMNS}
        if not any(values.values()):
            continue
        project = Project(epoch=epoch, **values)
        try:
            project.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors.append((line, "; ".join(f"{field}: {' '.join(messages)}"
                                           for field, messages in error.message_dict.items())))
            continue
        if project.address in existing:
            errors.append((line, f"{project.address} is already a project of epoch {epoch}."))
        elif project.address in seen:
            errors.append((line, f"{project.address} is also on line {seen[project.address]}."))
        else:
            seen[project.address] = line
            projects.append(project)
    if errors:
        return ImportResult(0, errors)
    try:
        with transaction.atomic():
            Project.objects.bulk_create(projects)
    except IntegrityError:  # a project was added meanwhile
        return ImportResult(0, [(0, "Another change added one of these addresses meanwhile: import again.")])
    return ImportResult(len(projects), [])


@transaction.atomic
def projects_store(*, rows: list[dict]) -> int:
    """Add the `{"epoch", "address"}` rows a chain backend read that are not stored yet (staff-curated
    names and descriptions stay). A row with a `name` (the local chain's) is added with it, and a non-empty
    one renames a stored project. Returns how many were added."""
    names = {(r["epoch"], r["address"]): r.get("name") for r in rows}
    if not names:
        return 0
    epochs = {epoch for epoch, _ in names}
    existing = {(p.epoch, p.address): p for p in Project.objects.filter(epoch__in=epochs)}
    new = [Project(epoch=epoch, address=address, name=names[epoch, address] or "")
           for epoch, address in sorted(names.keys() - existing.keys())]
    Project.objects.bulk_create(new, ignore_conflicts=True)
    renamed = [p for key, p in existing.items() if names.get(key) and p.name != names[key]]
    for project in renamed:
        project.name = names[project.epoch, project.address]
    Project.objects.bulk_update(renamed, ["name"])
    return len(new)


def projects_sync(*, current_epoch: int) -> int:
    """Store the projects the chain backend returns (`ChainBackend.project_batches`) while `current_epoch` is
    the chain's current epoch, each batch with its cursor in one transaction; a re-sync adds nothing.
    Returns how many projects were added."""
    from .selectors import epochs_with_projects

    added = 0
    for batch in get_chain().project_batches(stored_epochs=set(epochs_with_projects()),
                                             current_epoch=current_epoch):
        with transaction.atomic():
            added += projects_store(rows=batch.rows)
            batch.commit()
    return added
