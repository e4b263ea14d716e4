"""Staff work in the real admin, in headless Chromium against a live server: log in, curate projects (bad
and lowercase addresses, copy to the next epoch, CSV import), find a finalized epoch frozen, read the
dashboard and the finalized snapshot. Every step leaves a screenshot under var/screenshots/."""
import pytest
from eth_utils import to_checksum_address
from rest_framework.test import APIClient
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from lifecycle.tasks import epochs_tick_task
from octant.chain.backends import get_chain
from projects.models import Project

from tests.fixtures.chain import DURATION, START, WINDOW
from tests.fixtures.window import ETH, GLM, PROJECTS, USERS, sign, walk_to_window
from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

NAMES = ["Clean Water", "Open Maps", "Seed Library"]
EPOCH = 4  # walked to its allocation window: epoch 5 is current
LOWER = "0xa1b2c3d4e5f60718293a4b5c6d7e8f9012345678"


@pytest.fixture
def chain(transactional_db):
    chain = get_chain()
    chain.set_time(timestamp=START - 100)
    chain.configure(start=START, duration=DURATION, decision_window=WINDOW)
    for n in range(1, 6):
        chain.set_proceeds(n, 100 * ETH)
        for project, name in zip(PROJECTS, NAMES):
            chain.add_project(n, project, name=name)
    chain.set_time(timestamp=START + 1)
    for account, amount, score in zip(USERS, (10_000, 20_000, 5_000), ("20", "1", "7")):
        chain.lock(account.address, amount * GLM)
        chain.set_passport(account.address, score)
    walk_to_window(chain, EPOCH)
    api = APIClient()
    alice, bob, carol = USERS
    for account, allocations in ((alice, [(PROJECTS[0], ETH), (PROJECTS[1], 3 * ETH)]),
                                 (bob, [(PROJECTS[0], 2 * ETH)]), (carol, [(PROJECTS[2], ETH // 300)])):
        assert api.post("/allocations/allocate", sign(account, allocations, 0), format="json").status_code == 201
    return chain


def finalize(chain):
    chain.set_time(timestamp=START + EPOCH * DURATION + WINDOW + 1)
    assert epochs_tick_task.delay().get()["finalizedSnapshot"] == EPOCH


@pytest.fixture
def staff(browser, live_server, django_user_model, chain):
    """A superuser logged in through the login form."""
    django_user_model.objects.create_superuser("staff", "staff@example.com", "a-long-password")
    browser.delete_all_cookies()
    browser.get(live_server.url + "/admin/login/?next=/admin/")
    browser.find_element(By.NAME, "username").send_keys("staff")
    browser.find_element(By.NAME, "password").send_keys("a-long-password")
    screenshot(browser, "01-login")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    assert loaded(browser, By.ID, "dashboard")
    return browser


def loaded(browser, by, value):
    """The element once the page that follows a click shows it (a loaded machine can be slow to navigate)."""
    return WebDriverWait(browser, 15).until(expected_conditions.presence_of_element_located((by, value)))


def page_text(browser, expected):
    """The page's text once it shows `expected` (the page that follows a click may still be loading)."""
    WebDriverWait(browser, 15).until(
        expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "body"), expected))
    return browser.find_element(By.TAG_NAME, "body").text


def open_(browser, live_server, path):
    browser.get(live_server.url + path)
    return browser.find_element(By.TAG_NAME, "body").text


def fits(browser) -> bool:
    """Neither the page nor a list's table needs a horizontal scroll."""
    return browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth && "
        "[...document.querySelectorAll('.results')].every(e => e.scrollWidth <= e.clientWidth)")


def test_dashboard_during_the_allocation_window(staff, live_server):
    text = open_(staff, live_server, "/admin/")
    screenshot(staff, "02-dashboard-window-open")
    assert "Current epoch 5" in text and "Epoch 4: allocation window open" in text
    assert "users with budgets".upper() in text.upper() and "Clean Water" in text and "6.0033 ETH" in text
    assert staff.find_element(By.ID, "dashboard-chart").get_attribute("src").startswith("data:image/png;base64,")
    # the scheduling tables sit apart, after the domain
    sections = [e.text for e in staff.find_elements(By.CSS_SELECTOR, "#content-main .module caption")]
    assert sections[-2:] == ["SYSTEM · AUTHENTICATION AND AUTHORIZATION", "SYSTEM · PERIODIC TASKS"] or \
        sections[-2:] == ["System · Authentication and authorization", "System · Periodic tasks"]
    assert fits(staff)


def test_add_project_refuses_a_bad_address_and_checksums_a_lowercase_one(staff, live_server):
    open_(staff, live_server, "/admin/projects/project/add/")
    assert staff.find_element(By.NAME, "epoch").get_attribute("value") == "5"  # the current epoch
    assert "checksum form" in staff.find_element(By.ID, "id_address_helptext").text
    staff.find_element(By.NAME, "address").send_keys("0xnothex")
    staff.find_element(By.NAME, "name").send_keys("Not Hex")
    staff.find_element(By.NAME, "_save").click()
    errors = loaded(staff, By.CSS_SELECTOR, ".errorlist").text
    screenshot(staff, "03-add-project-bad-address")
    assert "Enter an Ethereum address" in errors and not Project.objects.filter(name="Not Hex").exists()

    address = staff.find_element(By.NAME, "address")
    address.clear()
    address.send_keys(LOWER)
    staff.find_element(By.NAME, "_save").click()
    text = page_text(staff, "was added successfully")
    screenshot(staff, "04-add-project-lowercase-saved")
    assert "was added successfully" in text
    project = Project.objects.get(name="Not Hex")
    assert project.address == to_checksum_address(LOWER) and project.epoch == 5
    assert APIClient().get("/projects/epoch/5").json()["projectsAddresses"][-1] == to_checksum_address(LOWER)


def test_copy_projects_to_the_next_epoch(staff, live_server):
    Project.objects.create(epoch=5, address=LOWER, name="Fresh Project")
    open_(staff, live_server, "/admin/projects/project/")
    selected = staff.find_element(By.CSS_SELECTOR, "#changelist-filter li.selected").text
    assert selected == "5 (current)"  # opens on the current epoch
    assert len(staff.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")) == 4
    staff.find_element(By.ID, "action-toggle").click()
    Select(staff.find_element(By.NAME, "action")).select_by_value("copy_to_next_epoch")
    staff.find_element(By.NAME, "index").click()
    text = loaded(staff, By.CSS_SELECTOR, "ul.messagelist").text
    screenshot(staff, "05-copy-to-next-epoch")
    assert "Epoch 5: copied 4 projects to epoch 6." in text
    assert sorted(Project.objects.filter(epoch=6).values_list("name", flat=True)) == sorted([*NAMES, "Fresh Project"])


def test_import_projects_from_csv(staff, live_server, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,address,website,description\n"
                   f"Good One,{LOWER},https://good.example,fine\n"
                   "Broken,0x123,https://broken.example,short address\n"
                   f"Dup,{PROJECTS[0]},,already listed\n")
    open_(staff, live_server, "/admin/projects/project/")
    staff.find_element(By.CSS_SELECTOR, ".object-tools a[href$=\"/import/\"]").click()
    loaded(staff, By.NAME, "file").send_keys(str(bad))
    staff.find_element(By.NAME, "_import").click()
    errors = loaded(staff, By.ID, "import-errors").text
    screenshot(staff, "06-import-csv-row-errors")
    assert "Enter an Ethereum address" in errors and "already a project of epoch 5" in errors
    assert not Project.objects.filter(name="Good One").exists()  # all or nothing

    good = tmp_path / "good.csv"
    good.write_text("name,address,website,description\n"
                    f"Good One,{LOWER},https://good.example,fine\n"
                    "Second,0x4444444444444444444444444444444444444444,,\n")
    staff.find_element(By.NAME, "file").send_keys(str(good))
    staff.find_element(By.NAME, "_import").click()
    text = page_text(staff, "Imported 2 projects into epoch 5.")
    screenshot(staff, "07-import-csv-done")
    assert "Imported 2 projects into epoch 5." in text and "Good One" in text
    assert Project.objects.get(name="Good One").address == to_checksum_address(LOWER)


def test_a_finalized_epoch_is_frozen(staff, live_server, chain):
    finalize(chain)
    project = Project.objects.get(epoch=EPOCH, address=PROJECTS[0])
    text = open_(staff, live_server, f"/admin/projects/project/{project.pk}/change/")
    screenshot(staff, "08-finalized-project-read-only")
    assert "Epoch 4 is frozen" in text and not staff.find_elements(By.NAME, "_save")
    assert not staff.find_elements(By.CSS_SELECTOR, "a.deletelink")

    open_(staff, live_server, "/admin/projects/project/add/")
    epoch = staff.find_element(By.NAME, "epoch")
    epoch.clear()
    epoch.send_keys(str(EPOCH))
    staff.find_element(By.NAME, "address").send_keys(LOWER)
    staff.find_element(By.NAME, "_save").click()
    errors = loaded(staff, By.CSS_SELECTOR, ".errorlist").text
    screenshot(staff, "09-add-to-finalized-epoch-refused")
    assert "Epoch 4 is frozen" in errors and not Project.objects.filter(epoch=EPOCH, address=to_checksum_address(LOWER))

    text = open_(staff, live_server, "/admin/epochs/epoch/")
    assert "finalized" in text and not staff.find_elements(By.CSS_SELECTOR, "select[name=action]")


def test_dashboard_and_snapshot_of_a_finalized_epoch(staff, live_server, chain):
    finalize(chain)
    text = open_(staff, live_server, "/admin/")
    screenshot(staff, "10-dashboard-finalized")
    assert "Epoch 4: finalized" in text and "leftover".upper() in text.upper()
    assert fits(staff)
    open_(staff, live_server, "/admin/epochs/finalizedepochsnapshot/")
    staff.find_element(By.CSS_SELECTOR, "#result_list tbody tr th a, #result_list tbody tr td a").click()
    table = loaded(staff, By.ID, "project-rewards")
    text = staff.find_element(By.TAG_NAME, "body").text
    screenshot(staff, "11-finalized-snapshot")
    assert "Clean Water" in table.text and "Seed Library" in table.text and " ETH" in table.text
    assert "wei" in staff.find_element(By.CSS_SELECTOR, "#project-rewards td span.wei").get_attribute("title")
    assert "Matched rewards" in text or "matched rewards" in text.lower()
    for name, path in (("12-pending-snapshots", "/admin/epochs/pendingepochsnapshot/"),
                       ("13-budgets", "/admin/deposits/budget/"), ("14-allocations", "/admin/allocations/allocation/")):
        text = open_(staff, live_server, path)
        screenshot(staff, name)
        assert " ETH" in text and fits(staff), name
    open_(staff, live_server, "/admin/epochs/finalizedepochsnapshot/")
    staff.find_element(By.CSS_SELECTOR, "#result_list tbody tr th a, #result_list tbody tr td a").click()
    table = loaded(staff, By.ID, "project-rewards")
    last_column = table.find_elements(By.CSS_SELECTOR, "thead th")[-1]
    assert last_column.rect["x"] + last_column.rect["width"] <= staff.execute_script("return window.innerWidth")
    assert fits(staff)
