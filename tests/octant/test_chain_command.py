import json

import pytest
from django.core.management import CommandError, call_command

from deposits.models import DepositEvent
from projects.models import Project

from ..conftest import DURATION, START, WINDOW

ALICE = "0x00000000000000000000000000000000000000aa"


def chain(*args) -> dict:
    from io import StringIO

    out = StringIO()
    call_command("chain", *map(str, args), stdout=out)
    return json.loads(out.getvalue())


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
