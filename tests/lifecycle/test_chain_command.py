import json

import pytest
from django.core.management import CommandError, call_command

from deposits.models import DepositEvent
from projects.models import Project

from tests.fixtures.chain import DURATION, START, WINDOW, take_pending_snapshot

ALICE = "0x00000000000000000000000000000000000000aa"


def run(*args) -> list[str]:
    """What the command said it changed (stderr lines), then the status (its one stdout line)."""
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("chain", *map(str, args), stdout=out, stderr=err)
    [status] = out.getvalue().splitlines()
    return err.getvalue().splitlines() + [status]


def chain(*args) -> dict:
    return json.loads(run(*args)[-1])


@pytest.fixture
def configured(chain_clock):
    return chain("configure", "--start", START, "--duration", DURATION, "--decision-window", WINDOW)


@pytest.fixture
def chain_clock(db):
    return chain("time", "--set", START - 100)


def test_status_follows_the_clock_through_an_epoch(configured):
    assert configured["currentEpoch"] == 0 and configured["pendingEpoch"] is None
    status = chain("time", "--advance", 100)
    assert status == {"now": START, "currentEpoch": 1, "pendingEpoch": None, "finalizedEpoch": 0,
                      "epochStart": START, "epochEnd": START + DURATION, "decisionWindowOpen": False}
    status = chain("time", "--set", START + DURATION + 1)
    assert status["currentEpoch"] == 2 and status["pendingEpoch"] == 1 and status["decisionWindowOpen"]
    status = chain("time", "--advance", WINDOW)
    assert status["pendingEpoch"] is None and status["finalizedEpoch"] == 1 and not status["decisionWindowOpen"]


def test_lock_and_unlock_record_events_with_balances(configured):
    chain("time", "--set", START + 10)
    chain("lock", ALICE, 10**18)
    chain("time", "--advance", 5)
    chain("unlock", ALICE.upper().replace("0X", "0x"), 4 * 10**17)
    events = list(DepositEvent.objects.values_list("type", "amount", "before", "after", "timestamp", "address"))
    address = "0x00000000000000000000000000000000000000AA"
    assert events == [("lock", 10**18, 0, 10**18, START + 10, address),
                      ("unlock", 4 * 10**17, 10**18, 6 * 10**17, START + 15, address)]


@pytest.mark.parametrize(
    "args, message",
    [
        (("lock", "0x1234", 5), "Invalid address"),
        (("lock", ALICE, -5), "must not be negative"),
        (("lock", ALICE, "1.5"), "integer number of wei"),
        (("lock", ALICE, 0), "must be positive"),
        (("unlock", ALICE, 1), "has only 0 locked"),
        (("time", "--advance", -1), "never moves backward"),
        (("time", "--set", START - 101), "never moves backward"),
        (("proceeds", 0, 5), "Epoch must be 1 or more"),
        (("passport", ALICE, "abc"), "must be a number"),
        (("configure", "--start", START, "--duration", 10, "--decision-window", 11), "not be longer"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(configured, args, message):
    with pytest.raises(CommandError, match=message):
        chain(*args)


def test_configure_after_start_changes_timing_from_the_next_epoch(configured):
    chain("time", "--set", START + 10)
    with pytest.raises(CommandError, match="cannot move"):
        chain("configure", "--start", START + 50, "--duration", 50, "--decision-window", 10)
    chain("configure", "--duration", 500, "--decision-window", 100)
    assert chain("time", "--set", START + DURATION)["epochEnd"] == START + DURATION + 500


def test_proceeds_projects_and_passport(configured):
    from octant.chain.backends import get_chain

    chain("proceeds", 1, 5 * 10**18)
    chain("project", "add", 1, ALICE, "--name", "Alice's project")
    chain("passport", ALICE, "21.5")
    backend = get_chain()
    assert backend.staking_proceeds(1) == 5 * 10**18 and backend.staking_proceeds(2) == 0
    assert Project.objects.get().name == "Alice's project"
    assert str(backend.passport_score(ALICE)) == "21.5"


def test_each_command_says_what_it_changed_before_the_status(configured):
    assert run("status")[:-1] == []
    assert run("time", "--set", START + 10)[:-1] == [f"Clock set to {START + 10} (it was {START - 100})."]
    assert run("time", "--advance", 5)[:-1] == [f"Clock moved forward 5 s, to {START + 15}."]
    address = "0x00000000000000000000000000000000000000AA"
    assert run("lock", ALICE, 10)[:-1] == [f"Locked 10 wei GLM for {address}: 0 -> 10 locked."]
    assert run("unlock", ALICE, 4)[:-1] == [f"Unlocked 4 wei GLM for {address}: 10 -> 6 locked."]
    assert run("proceeds", 1, 7)[:-1] == ["Staking proceeds of epoch 1: 0 -> 7 wei."]
    assert run("proceeds", 1, 9)[:-1] == ["Staking proceeds of epoch 1: 7 -> 9 wei."]
    assert run("passport", ALICE, "3")[:-1] == [f"Passport score of {address}: none -> 3."]
    assert run("passport", ALICE, "20.5")[:-1] == [f"Passport score of {address}: 3 -> 20.5."]
    assert run("configure", "--duration", 500, "--decision-window", 100)[:-1] == [
        "Timing changed from epoch 2: 500 s epochs with a 100 s allocation window."]
    assert json.loads(run("status")[-1])["currentEpoch"] == 1


def test_project_add_on_an_existing_project_says_it_renamed_it(configured):
    where = "project 0x00000000000000000000000000000000000000AA of epoch 1"
    assert run("project", "add", 1, ALICE, "--name", "Old")[:-1] == [f"Registered {where} as 'Old'."]
    assert run("project", "add", 1, ALICE.upper().replace("0X", "0x"), "--name", "New")[:-1] == [
        f"Renamed {where} from 'Old' to 'New'."]
    assert run("project", "add", 1, ALICE)[:-1] == [f"Unchanged: {where} is already registered as 'New'."]
    assert list(Project.objects.values_list("epoch", "name")) == [(1, "New")]


def test_reset_refuses_without_yes_then_deletes_the_chain_and_what_derives_from_it(configured):
    from django.contrib.auth.models import User as StaffUser

    from antisybil.models import PassportListEntry

    from lifecycle.snapshots import pending_snapshot_take
    from octant.chain.models import LocalEpochProps

    StaffUser.objects.create_superuser("admin", password="x")
    chain("time", "--set", START + 10)
    chain("lock", ALICE, 10**18)
    chain("proceeds", 1, 10**18)
    chain("project", "add", 1, ALICE)
    chain("time", "--set", START + DURATION + 1)
    assert take_pending_snapshot() == 1

    with pytest.raises(CommandError, match=r"deletes the local chain .*deposits.DepositEvent 1.*--yes"):
        run("reset")
    assert DepositEvent.objects.count() == 1

    lines = run("reset", "--yes")
    assert lines[0].startswith("Reset the local chain: deleted ") and "projects.Project 1" in lines[0]
    assert "epochs.PendingEpochSnapshot 1" in lines[0]
    status = json.loads(lines[-1])
    assert status["currentEpoch"] == 0 and status["epochStart"] is None
    assert not DepositEvent.objects.exists() and not Project.objects.exists()
    assert not LocalEpochProps.objects.exists()
    assert StaffUser.objects.filter(username="admin").exists()  # staff accounts stay
    assert PassportListEntry.objects.exists()  # and configuration: the guest/timeout lists
    # a fresh schedule can start now
    assert chain("configure", "--start", status["now"], "--duration", DURATION,
                 "--decision-window", WINDOW)["currentEpoch"] == 1
    with pytest.raises(CommandError, match=r"\(1 row: chain.LocalEpochProps 1\)"):
        run("reset")


def test_reset_of_an_empty_chain_needs_no_yes(chain_clock):
    assert run("reset")[:-1] == ["Reset the local chain: it held no data. The clock is back on wall time."]


def test_start_up_imports_neither_the_server_nor_the_apis(scratch_database_url):
    """`manage.py chain` skips the system checks (they import the URLconf and every API module) and does not
    import daphne's server or eth_utils: the commands took 3-7 s with them, under 1 s without
    (`python -m bench chain_command`). Runs the real manage.py path up to its first query, on an empty database."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    heavy = ["daphne.server", "twisted.internet.reactor", "eth_utils", "octant.urls", "rest_framework.views",
             "drf_spectacular.views", "allocations.apis", "matplotlib"]
    code = (
        "import sys\n"
        "from django.core.management import execute_from_command_line\n"
        "try:\n"
        f"    execute_from_command_line(['manage.py', 'chain', 'lock', '0x' + 'ab' * 20, '5'])\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
        f"print([name for name in {heavy!r} if name in sys.modules])\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "octant.settings.base", "REDIS_URL": "",
           "DATABASE_URL": scratch_database_url}
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2], env=env,
                         capture_output=True, text=True, timeout=60, check=True).stdout.splitlines()
    assert out[0].startswith("ProgrammingError relation"), out  # it got as far as the lock's query
    assert out[-1] == "[]"
