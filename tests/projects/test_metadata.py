"""Project metadata as the web client reads it from an IPFS gateway (`/ipfs/{projectsCid}/{address}`, the images
at `/ipfs/{name}`), entered by staff in the admin; `/projects/epoch/N` names the CID (docs/lifecycle.md §8.2)."""
import base64
import hashlib
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from model_bakery import baker
from PIL import Image

from epochs.models import PendingEpochSnapshot
from projects.models import Project
from projects.services import projects_copy_to_next_epoch, projects_describe, projects_import_csv

A, B = "0x" + "1" * 40, "0x" + "2" * 40
UNKNOWN = "0x" + "3" * 40
PLACEHOLDER = "bafkrei"  # the start of every CID of a raw block; the placeholder's name ends in .svg


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def staff(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("staff", "staff@example.com", "pw"))
    return client


def raw_cid(data: bytes) -> str:
    """The CIDv1 of a raw block (sha2-256) in base32, written out from the CID specification."""
    multihash = bytes([0x12, 0x20]) + hashlib.sha256(data).digest()  # sha2-256, 32 bytes
    return "b" + base64.b32encode(bytes([1, 0x55]) + multihash).decode().lower().rstrip("=")  # v1, raw


def image(kind="PNG", colour=(200, 30, 30), size=(64, 64)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, kind)
    return out.getvalue()


def form(**values):
    return {"epoch": 2, "address": A, "name": "Clean Water", "intro_description": "", "description": "",
            "website": "", "website_label": "", **values}


def projects_cid(api, epoch=2) -> str:
    return api.get(f"/projects/epoch/{epoch}").json()["projectsCid"]


def test_a_project_document_in_the_shape_the_client_reads(api, db):
    Project.objects.create(epoch=2, address=A, name="Clean Water", intro_description="Wells for villages.",
                           description="Wells <b>for</b> villages.\n\nSee https://water.example now.",
                           website="https://water.example", website_label="water.example")
    Project.objects.create(epoch=2, address=B, name="Other")
    cid = projects_cid(api)
    assert cid.startswith("bafkrei") and len(cid) == 59 and cid == projects_cid(api)  # stable
    body = api.get(f"/ipfs/{cid}/{A.lower()}").json()
    assert list(body) == ["name", "introDescription", "description", "profileImageSmall", "profileImageMedium",
                          "profileImageLarge", "website"]
    assert base64.b64decode(body["description"]).decode() == (
        '<p>Wells &lt;b&gt;for&lt;/b&gt; villages.</p>\n\n<p>See <a href="https://water.example" rel="nofollow">'
        'https://water.example</a> now.</p>')
    assert (body["name"], body["introDescription"], body["website"]) == (
        "Clean Water", "Wells for villages.", {"label": "water.example", "url": "https://water.example"})
    placeholder = body["profileImageSmall"]
    assert placeholder.startswith(PLACEHOLDER) and placeholder.endswith(".svg")
    assert body["profileImageMedium"] == body["profileImageLarge"] == placeholder
    svg = api.get(f"/ipfs/{placeholder}")  # a project without a picture shows the placeholder
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert placeholder == raw_cid(svg.content) + ".svg"
    assert api.get(f"/ipfs/{cid}/{B}").json()["website"] == {"label": "", "url": ""}


def test_the_cid_follows_the_metadata_and_unknown_paths_answer_404(api, db):
    project = Project.objects.create(epoch=2, address=A, name="Clean Water")
    Project.objects.create(epoch=3, address=A, name="Clean Water")
    first = projects_cid(api)
    assert projects_cid(api, 3) == first  # the same documents: the same content, the same CID
    assert projects_cid(api, 4) == ""  # no projects
    project.intro_description = "Wells."
    project.save()
    second = projects_cid(api)
    assert second != first and projects_cid(api, 3) == first
    assert api.get(f"/ipfs/{second}/{A}").json()["introDescription"] == "Wells."
    assert api.get(f"/ipfs/{first}/{A}").json()["introDescription"] == ""  # epoch 3's, which has not changed
    for path in (f"/ipfs/{second}/{UNKNOWN}", f"/ipfs/bafkreinothing/{A}", "/ipfs/bafkreinothing.png",
                 f"/ipfs/{second}.svg"):
        response = api.get(path)
        assert response.status_code == 404 and response.json() == {"message": "No such path under /ipfs/: "
                                                                              + path.removeprefix("/ipfs/")}
    assert api.get(f"/ipfs/{second}/0xnothex").status_code == 400
    assert api.get("/ipfs/a%00b.png").status_code == 404 and api.get("/ipfs/..").status_code == 404


def test_staff_upload_an_image_that_is_stored_by_its_cid_and_served(api, staff, media):
    png = image()
    response = staff.post("/admin/projects/project/add/", {
        **form(intro_description="Wells.", website="water.example", website_label="Water"),
        "profile_image": SimpleUploadedFile("logo.png", png, content_type="image/png")})
    assert response.status_code == 302
    project = Project.objects.get()
    name = raw_cid(png) + ".png"
    assert project.profile_image.name == name and (media / name).read_bytes() == png
    assert project.website == "https://water.example"
    document = api.get(f"/ipfs/{projects_cid(api)}/{A}").json()
    assert document["profileImageSmall"] == document["profileImageLarge"] == name
    served = api.get(f"/ipfs/{name}", HTTP_ACCEPT="image/png")
    assert served.status_code == 200 and served.content == png and served["Content-Type"] == "image/png"
    assert "immutable" in served["Cache-Control"]
    page = staff.get(f"/admin/projects/project/{project.pk}/change/")
    assert f'href="/ipfs/{name}"'.encode() in page.content  # the admin links the image where it is served

    # the same bytes for another project: the stored file is reused
    assert staff.post("/admin/projects/project/add/", {
        **form(address=B, name="Twin"), "profile_image": SimpleUploadedFile("again.png", png)}).status_code == 302
    assert Project.objects.get(address=B).profile_image.name == name
    assert sorted(path.name for path in media.iterdir()) == [name]

    # cleared: the placeholder again, and a new CID for the epoch
    before = projects_cid(api)
    assert staff.post(f"/admin/projects/project/{project.pk}/change/",
                      {**form(), "profile_image-clear": "on"}).status_code == 302
    assert Project.objects.get(pk=project.pk).profile_image.name == ""
    assert projects_cid(api) != before
    assert api.get(f"/ipfs/{projects_cid(api)}/{A}").json()["profileImageSmall"].endswith(".svg")


@pytest.mark.parametrize("name, upload, error", [
    ("p.bmp", image("BMP", size=(8, 8)), b"Upload a PNG, JPEG, GIF or WebP image."),
    ("p.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"Upload a valid image."),
    ("p.png", image("PNG", size=(2000, 2000)), b"The image is larger than 1,000 bytes."),
], ids=["bmp", "svg", "too large"])
def test_uploads_are_bounded_in_size_and_type(staff, settings, media, name, upload, error):
    settings.PROJECT_IMAGE_MAX_BYTES = 1000
    page = staff.post("/admin/projects/project/add/", {
        **form(), "profile_image": SimpleUploadedFile(name, upload)})
    assert page.status_code == 200 and error in page.content
    assert not Project.objects.exists() and list(media.iterdir()) == []


def test_images_of_other_formats_keep_their_type(api, db, media):
    for digit, (kind, extension, content_type) in enumerate((("JPEG", "jpg", "image/jpeg"), ("GIF", "gif", "image/gif"),
                                                             ("WEBP", "webp", "image/webp"))):
        data = image(kind)
        name = f"{raw_cid(data)}.{extension}"
        (media / name).write_bytes(data)
        baker.make(Project, epoch=2, address="0x" + str(digit) * 40, profile_image=name)
        served = api.get(f"/ipfs/{name}")
        assert served.content == data and served["Content-Type"] == content_type


def test_copy_and_csv_import_carry_the_metadata(db):
    Project.objects.create(epoch=2, address=A, name="Water", intro_description="Wells.", description="Long.",
                           website="https://water.example", website_label="Water", profile_image="x.png")
    assert projects_copy_to_next_epoch(epoch=2) == 1
    copy = Project.objects.get(epoch=3)
    assert (copy.intro_description, copy.description, copy.website_label, copy.profile_image.name) == (
        "Wells.", "Long.", "Water", "x.png")
    text = "address,name,intro_description,website,website_label\n" f"{B},Two,Short intro.,https://two.example,Two\n"
    assert projects_import_csv(epoch=4, text=text).errors == []
    imported = Project.objects.get(epoch=4)
    assert (imported.intro_description, imported.website_label) == ("Short intro.", "Two")
    too_long = projects_import_csv(epoch=5, text=f"address,intro_description\n{A},{'x' * 301}\n")
    assert too_long.created == 0 and "intro_description" in too_long.errors[0][1]


def test_the_admin_form_shows_the_metadata_fields(staff, db):
    page = staff.get("/admin/projects/project/add/")
    for field in (b'name="intro_description"', b'name="website_label"', b'name="profile_image"',
                  b"At most 500,000 bytes."):
        assert field in page.content
    assert b"metadata_cid" not in page.content


def test_what_staff_entered_feeds_the_cid(api, db):
    """The CID is the raw-block CID of the canonical JSON of the epoch's metadata by address."""
    Project.objects.create(epoch=2, address=A, name="Water", profile_image="x.png")
    metadata = {"name": "Water", "intro_description": "", "description": "", "website": "", "website_label": "",
                "profile_image": "x.png"}
    text = json.dumps({A: metadata}, sort_keys=True, separators=(",", ":"))
    assert projects_cid(api) == raw_cid(text.encode())


def test_describing_a_project_leaves_frozen_epochs_alone(db):
    for epoch in (1, 2):
        Project.objects.create(epoch=epoch, address=A, name="Water")
    baker.make(PendingEpochSnapshot, epoch=1, locked_ratio="0.1")
    assert projects_describe(address=A, intro_description="Wells.") == 1
    assert dict(Project.objects.values_list("epoch", "intro_description")) == {1: "", 2: "Wells."}
