"""The admin's rules without a browser: the past is frozen, computed tables are read-only, curation."""
import pytest
from django.contrib.auth.models import Permission
from eth_utils import to_checksum_address
from model_bakery import baker

from epochs.models import Epoch, FinalizedEpochSnapshot, PendingEpochSnapshot
from octant.chain.models import LocalStakingProceeds
from projects.models import Project
from projects.services import projects_import_csv

from tests.fixtures.chain import DURATION, START, sync

A, B = "0x" + "1" * 40, "0x" + "2" * 40
LOWER = "0xa1b2c3d4e5f60718293a4b5c6d7e8f9012345678"


@pytest.fixture
def staff(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("staff", "staff@example.com", "pw"))
    return client


@pytest.fixture
def frozen(scheduled_chain):
    """Epoch 2 current; epoch 1 has its pending snapshot (frozen), epoch 2 is open."""
    scheduled_chain.set_time(timestamp=START + DURATION + 5)
    scheduled_chain.add_project(1, A, name="Old")  # before the snapshot: `chain project add` refuses it after (issue 10)
    sync()
    baker.make(PendingEpochSnapshot, epoch=1, locked_ratio="0.1")
    scheduled_chain.add_project(2, A, name="Open")
    sync()
    return scheduled_chain


def form(**values):
    return {"epoch": 2, "address": "", "name": "", "website": "", "description": "", **values}


def test_add_refuses_a_bad_address_and_checksums_a_lowercase_one(staff, frozen):
    page = staff.post("/admin/projects/project/add/", form(address="0xnothex", name="Bad"))
    assert page.status_code == 200 and b"Enter an Ethereum address" in page.content
    assert staff.post("/admin/projects/project/add/", form(address=LOWER, name="Low")).status_code == 302
    assert Project.objects.get(name="Low").address == to_checksum_address(LOWER)


def test_a_frozen_epochs_projects_cannot_be_added_changed_or_deleted(staff, frozen):
    old = Project.objects.get(epoch=1)
    page = staff.get(f"/admin/projects/project/{old.pk}/change/")
    assert page.status_code == 200 and b"Epoch 1 is frozen" in page.content and b'name="_save"' not in page.content
    assert staff.post(f"/admin/projects/project/{old.pk}/change/", form(epoch=1, address=A, name="X")).status_code == 403
    assert staff.post(f"/admin/projects/project/{old.pk}/delete/", {"post": "yes"}).status_code == 403
    page = staff.post("/admin/projects/project/add/", form(epoch=1, address=B, name="Late"))
    assert b"Epoch 1 is frozen" in page.content
    response = staff.post("/admin/projects/project/?epoch=all", {"action": "delete_selected", "post": "yes",
                                                                 "_selected_action": [old.pk]}, follow=True)
    assert b"Nothing deleted" in response.content
    assert Project.objects.get(pk=old.pk).name == "Old" and not Project.objects.filter(name="Late").exists()


def test_an_open_project_cannot_be_moved_into_a_frozen_epoch_and_can_be_deleted(staff, frozen):
    open_ = Project.objects.get(epoch=2)
    page = staff.post(f"/admin/projects/project/{open_.pk}/change/", form(epoch=1, address=B, name="Moved"))
    assert b"Epoch 1 is frozen" in page.content and Project.objects.get(pk=open_.pk).epoch == 2
    assert staff.post(f"/admin/projects/project/{open_.pk}/change/", form(address=B, name="Renamed")).status_code == 302
    assert Project.objects.get(pk=open_.pk).name == "Renamed"
    assert staff.post("/admin/projects/project/", {"action": "delete_selected", "post": "yes",
                                                   "_selected_action": [open_.pk]}).status_code == 302
    assert not Project.objects.filter(pk=open_.pk).exists()


def test_copy_into_a_frozen_epoch_is_refused(staff, frozen):
    baker.make(PendingEpochSnapshot, epoch=2, locked_ratio="0.1")
    Project.objects.create(epoch=1, address=B, name="B")  # a row from before the chain refused it (issue 10)
    ids = list(Project.objects.filter(epoch=1).values_list("id", flat=True))
    response = staff.post("/admin/projects/project/?epoch=all", {"action": "copy_to_next_epoch",
                                                                 "_selected_action": ids}, follow=True)
    assert b"not copied" in response.content and Project.objects.filter(epoch=2).count() == 1


def test_epochs_and_snapshots_are_never_deletable_and_computed_tables_read_only(staff, frozen):
    assert staff.get("/admin/epochs/epoch/").status_code == 200  # indexes the epochs
    epoch = Epoch.objects.get(number=1)
    assert staff.post(f"/admin/epochs/epoch/{epoch.pk}/delete/", {"post": "yes"}).status_code == 403
    finalized = baker.make(FinalizedEpochSnapshot, epoch=1)
    pending = PendingEpochSnapshot.objects.get(epoch=1)
    for path in (f"epochs/finalizedepochsnapshot/{finalized.pk}", f"epochs/pendingepochsnapshot/{pending.pk}"):
        assert staff.post(f"/admin/{path}/delete/", {"post": "yes"}).status_code == 403
        assert staff.post(f"/admin/{path}/change/", {}).status_code == 403
    for path in ("deposits/budget", "allocations/allocation", "withdrawals/reward", "epochs/epoch",
                 "chain/localepochprops", "chain/localvaultroot"):
        assert staff.get(f"/admin/{path}/add/").status_code == 403
    assert Epoch.objects.filter(number=1).exists() and FinalizedEpochSnapshot.objects.exists()


def test_staking_proceeds_of_a_frozen_epoch_are_read_only(staff, frozen):
    proceeds = LocalStakingProceeds.objects.create(epoch=1, amount=10)
    assert staff.post(f"/admin/chain/localstakingproceeds/{proceeds.pk}/change/",
                      {"epoch": 1, "amount": 11}).status_code == 403
    page = staff.post("/admin/chain/localstakingproceeds/add/", {"epoch": 1, "amount": 11})
    assert b"Epoch 1 is frozen" in page.content
    assert staff.post("/admin/chain/localstakingproceeds/add/", {"epoch": 3, "amount": 11}).status_code == 302


def test_celery_beat_tables_are_for_superusers_only(client, django_user_model, frozen):
    user = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["django_celery_beat",
                                                                                     "projects"]))
    client.force_login(user)
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 403
    index = client.get("/admin/")
    assert b"Periodic tasks" not in index.content and b"Projects" in index.content


def test_projects_list_opens_on_the_current_epoch_and_searches_by_address(staff, frozen):
    page = staff.get("/admin/projects/project/")
    assert b"Open" in page.content and b">Old<" not in page.content and b"2 (current)" in page.content
    everything = staff.get("/admin/projects/project/?epoch=all")
    assert b">Old<" in everything.content and b">Open<" in everything.content
    found = staff.get("/admin/projects/project/?epoch=all&q=" + A[2:10].upper())
    assert found.context["cl"].result_count == 2
    assert b"help" in staff.get("/admin/projects/project/add/").content  # help texts on the form


def test_dashboard_shows_the_current_epoch(staff, frozen):
    page = staff.get("/admin/")
    assert page.status_code == 200 and b"Current epoch 2" in page.content and b"Epoch 1:" in page.content


def test_dashboard_before_any_epoch(staff, chain):
    assert b"no epoch yet" in staff.get("/admin/").content


@pytest.mark.django_db
def test_csv_import_is_all_or_nothing_with_row_errors():
    Project.objects.create(epoch=3, address=A, name="Existing")
    text = ("name,address,website,description\n"
            f"One,{LOWER},https://one.example,first\n"
            "Two,0xnothex,,\n"
            f"Three,{A},,\n"
            f"Four,{LOWER.upper().replace('0X', '0x')},,\n"
            "Five,0x3333333333333333333333333333333333333333,not a url,\n")
    result = projects_import_csv(epoch=3, text=text)
    assert result.created == 0 and [line for line, _ in result.errors] == [3, 4, 5, 6]
    assert "also on line 2" in result.errors[2][1] and "website" in result.errors[3][1]
    assert Project.objects.filter(epoch=3).count() == 1
    good = projects_import_csv(epoch=3, text="address,name\n" + LOWER + ",One\n\n")
    assert good == type(good)(1, []) and Project.objects.get(name="One").address == to_checksum_address(LOWER)


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["", "name,wallet\nx,y\n", "address,extra\n"])
def test_csv_import_needs_its_header(text):
    result = projects_import_csv(epoch=1, text=text)
    assert result.created == 0 and result.errors[0][0] == 1 and "first line" in result.errors[0][1]


def test_projects_list_opens_on_the_epoch_of_the_projects_while_the_current_has_none(staff, scheduled_chain):
    """Issue 25, item 15: as after docs/walkthrough.md, projects of epoch 1 and the chain in epoch 2 (epoch 1's
    allocation window): the list opens on epoch 1, not on an empty page."""
    scheduled_chain.set_time(timestamp=START + DURATION + 5)
    scheduled_chain.add_project(1, A, name="Old")
    sync()
    page = staff.get("/admin/projects/project/")
    assert page.context["cl"].result_count == 1 and b">Old<" in page.content and b"2 (current)" in page.content
