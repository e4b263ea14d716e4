import re
from datetime import UTC, datetime

import pytest
from model_bakery import baker

from epochs.models import Epoch, FinalizedEpochSnapshot, PendingEpochSnapshot
from lifecycle.charts import matched_vs_allocated_png
from withdrawals.models import Reward

from tests.fixtures.chain import DURATION, START, sync


def test_chart_is_a_png():
    png = matched_vs_allocated_png([("0x" + "1" * 40, 10**18, 2 * 10**18), ("0x" + "2" * 40, 0, 10**17)])
    assert png.startswith(b"\x89PNG") and len(png) > 1000


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser("staff", "staff@example.com", "pw")
    client.force_login(user)
    return client


def test_admin_lists_epochs_with_state_and_shows_a_finalized_snapshot(staff, scheduled_chain):
    scheduled_chain.set_time(timestamp=START + 2 * DURATION + 5)
    page = staff.get("/admin/epochs/epoch/")
    assert page.status_code == 200 and b"current" in page.content and Epoch.objects.count() == 3
    snapshot = baker.make(FinalizedEpochSnapshot, epoch=1, withdrawals_merkle_root="0xab", leftover=-5)
    baker.make(Reward, epoch=1, address="0x" + "1" * 40, amount=3 * 10**18, matched=10**18)
    page = staff.get(f"/admin/epochs/finalizedepochsnapshot/{snapshot.pk}/change/")
    assert page.status_code == 200
    assert b"data:image/png;base64," in page.content
    assert "3 ETH" in page.content.decode() and "3,000,000,000,000,000,000 wei" in page.content.decode()


@pytest.mark.parametrize("path", ["users/user", "users/patronevent", "deposits/depositevent", "deposits/deposit",
                                  "deposits/budget", "allocations/allocation", "allocations/allocationrequest",
                                  "allocations/uniquenessquotient", "allocations/projectfunding",
                                  "withdrawals/reward", "projects/project", "epochs/pendingepochsnapshot",
                                  "chain/localepochprops", "chain/localdepositevent", "chain/localsablierstream",
                                  "chain/localproject"])
def test_admin_changelists_render(staff, scheduled_chain, path):
    scheduled_chain.lock("0x" + "ab" * 20, 5)
    scheduled_chain.stream_create("0x" + "ab" * 20, 7, duration=10)
    scheduled_chain.add_project(1, "0x" + "cd" * 20, name="One")
    assert staff.get(f"/admin/{path}/").status_code == 200


def test_copy_projects_to_the_next_epoch(staff, scheduled_chain):
    from projects.models import Project

    scheduled_chain.add_project(1, "0x" + "1" * 40, name="One")
    scheduled_chain.add_project(2, "0x" + "1" * 40, name="One")
    scheduled_chain.add_project(1, "0x" + "2" * 40, name="Two")
    sync()
    ids = list(Project.objects.filter(epoch=1).values_list("id", flat=True))
    response = staff.post("/admin/projects/project/", {"action": "copy_to_next_epoch", "_selected_action": ids})
    assert response.status_code == 302
    assert sorted(Project.objects.filter(epoch=2).values_list("name", flat=True)) == ["One", "Two"]


DATETIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC")


def test_one_date_format_everywhere_in_the_admin(staff, scheduled_chain):
    """Issue 25, item 15: the dashboard, the chain's timestamps and Django's own datetime columns alike."""
    scheduled_chain.set_time(timestamp=START + DURATION + 5)
    baker.make("users.User", address="0x" + "1" * 40)
    start = datetime.fromtimestamp(START, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")  # epoch 1's
    start_2 = datetime.fromtimestamp(START + DURATION, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    for path in ("/admin/", "/admin/epochs/epoch/", "/admin/users/user/"):
        page = staff.get(path).content.decode()
        assert DATETIME.search(page) and not re.search(r"[ap]\.m\.", page), path
    assert start in staff.get("/admin/epochs/epoch/").content.decode()
    assert f"started</div><div class=\"value\">{start_2}<" in staff.get("/admin/").content.decode()


def test_ppf_is_spelled_ppf(staff, scheduled_chain):
    baker.make(PendingEpochSnapshot, epoch=1, locked_ratio="0.1", ppf=10**18)
    page = staff.get("/admin/epochs/pendingepochsnapshot/").content.decode()
    assert ">PPF<" in page and "Ppf" not in page


def test_counts_of_one_are_singular(staff, scheduled_chain):
    from projects.models import Project

    snapshot = baker.make(FinalizedEpochSnapshot, epoch=1, withdrawals_merkle_root="0xab", leftover=0)
    baker.make(Reward, epoch=1, address="0x" + "1" * 40, amount=3 * 10**18, matched=10**18)
    page = staff.get(f"/admin/epochs/finalizedepochsnapshot/{snapshot.pk}/change/").content.decode()
    assert "<th>1 project</th>" in page
    scheduled_chain.add_project(1, "0x" + "1" * 40, name="One")
    sync()
    ids = list(Project.objects.filter(epoch=1).values_list("id", flat=True))
    response = staff.post("/admin/projects/project/", {"action": "copy_to_next_epoch", "_selected_action": ids},
                          follow=True)
    assert "Epoch 1: copied 1 project to epoch 2." in response.content.decode()
