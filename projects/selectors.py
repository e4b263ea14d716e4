"""Reads about projects, and their metadata as the web client reads it from an IPFS gateway (docs/lifecycle.md
§8.2)."""
import json
from collections.abc import Iterable

from django.core.files.storage import default_storage
from django.db import connection
from django.utils.html import linebreaks, urlize

from octant.chain.backends import get_chain
from octant.core.cids import cid_of

from .models import Project

# the picture of a project without one: a grey frame around a mountain and a sun
PLACEHOLDER_IMAGE = (b'<svg xmlns="http://www.w3.org/2000/svg" width="192" height="192" viewBox="0 0 192 192">'
                     b'<rect width="192" height="192" rx="24" fill="#e8e8ec"/><circle cx="70" cy="70" r="18" '
                     b'fill="#b4b4bd"/><path d="M28 156l44-52 30 34 22-24 40 42z" fill="#b4b4bd"/></svg>')
PLACEHOLDER_NAME = cid_of(PLACEHOLDER_IMAGE) + ".svg"
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
                 "svg": "image/svg+xml"}
METADATA = ("name", "intro_description", "description", "website", "website_label", "profile_image")


def project_addresses_sql() -> str:
    """The one read of an epoch's projects, as SQL that a statement reading more can fold in (parameter:
    the epoch): their addresses in the order they were added. `project_addresses` runs it."""
    return f"SELECT address FROM {connection.ops.quote_name(Project._meta.db_table)} WHERE epoch = %s ORDER BY id"


def project_addresses(*, epoch: int) -> list[str]:
    """The projects open for allocations in `epoch`, in the order they were added."""
    with connection.cursor() as cursor:
        cursor.execute(project_addresses_sql(), [epoch])
        return [address for address, in cursor.fetchall()]


def _metadata(epochs: Iterable[int]) -> dict[int, dict[str, dict]]:
    """What staff entered for the projects of `epochs` (METADATA): {epoch: {address: {field: value}}}."""
    metadata = {}
    for row in Project.objects.filter(epoch__in=list(epochs)).order_by("id").values("epoch", "address", *METADATA):
        metadata.setdefault(row.pop("epoch"), {})[row.pop("address")] = row
    return metadata


def _cid(metadata: dict[str, dict]) -> str:
    """The CID of an epoch's metadata: of the canonical JSON of what staff entered, by address ('' without
    projects). The documents are made from it alone, so it changes whenever they do."""
    text = json.dumps(metadata, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return cid_of(text.encode()) if metadata else ""


def projects_cids(*, epochs: Iterable[int], metadata: dict[int, dict[str, dict]] | None = None) -> dict[int, str]:
    """The projects CID of each epoch: the chain's (ChainBackend.projects_cids), else derived from the
    epoch's metadata (`metadata`: the epochs' `_metadata`, where the caller has read it)."""
    epochs = set(epochs)
    cids = get_chain().projects_cids(epochs)
    missing = epochs - cids.keys()
    if missing:
        metadata = metadata if metadata is not None else _metadata(missing)
        cids.update({epoch: _cid(metadata.get(epoch, {})) for epoch in missing})
    return cids


def projects_cid(*, epoch: int) -> str:
    """The CID under which an epoch's project metadata is served (`/projects/epoch/N` `projectsCid`)."""
    return projects_cids(epochs=[epoch])[epoch]


def project_document(metadata: dict) -> dict:
    """What the web client shows of a project (the fields of Octant's BackendProposal, snake_case), from its
    `_metadata`: the description as HTML (escaped text, paragraphs, links), the image's path under the
    gateway (the placeholder's when it has none)."""
    description = metadata["description"]
    return {"name": metadata["name"], "intro_description": metadata["intro_description"],
            "description_html": linebreaks(urlize(description, nofollow=True, autoescape=True))
            if description.strip() else "",
            "profile_image": metadata["profile_image"] or PLACEHOLDER_NAME,
            "website_label": metadata["website_label"], "website_url": metadata["website"]}


def project_metadata(*, cid: str, address: str) -> dict | None:
    """`/ipfs/{cid}/{address}`: the project's document in the latest epoch whose projects CID is `cid`; None
    if there is none."""
    epochs = set(Project.objects.filter(address=address).values_list("epoch", flat=True))
    metadata = _metadata(epochs)
    cids = projects_cids(epochs=epochs, metadata=metadata)
    matching = [epoch for epoch in epochs if cids[epoch] == cid]
    return project_document(metadata[max(matching)][address]) if matching else None


def project_image(*, name: str) -> tuple[bytes, str] | None:
    """`/ipfs/{name}`: an image a project shows (its bytes and content type), None for any other name."""
    if name == PLACEHOLDER_NAME:
        return PLACEHOLDER_IMAGE, CONTENT_TYPES["svg"]
    if not name.isascii() or not name.replace(".", "").isalnum() or not Project.objects.filter(
            profile_image=name).exists():  # a stored name is a CID and an extension
        return None
    try:
        with default_storage.open(name) as file:  # at most PROJECT_IMAGE_MAX_BYTES
            data = file.read()
    except FileNotFoundError:
        return None
    return data, CONTENT_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream")


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
