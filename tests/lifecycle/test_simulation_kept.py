"""GET /snapshots/finalized/simulate kept as a file per state (lifecycle.snapshots.simulation_version): repeated
while nothing changed, served from the file, byte for byte the simulation computed afresh; an allocation
or a patron's toggle gives a new one."""
from eth_account import Account
from eth_account.messages import encode_defunct

from octant.core.signatures import patron_mode_message
from octant.web.answer_files import FileAnswer

from tests.fixtures.window import PROJECTS, USERS, sign

PATH = "/snapshots/finalized/simulate"
ALICE, BOB, CAROL = USERS


def _get(api):
    response = api.get(PATH)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return isinstance(response, FileAnswer), body


def _fresh(api, settings) -> bytes:
    kept, settings.ANSWER_CACHE_DIR = settings.ANSWER_CACHE_DIR, ""
    try:
        return _get(api)[1]
    finally:
        settings.ANSWER_CACHE_DIR = kept


def test_the_simulation_is_kept_per_version(api, window, settings):
    assert api.post("/allocations/allocate", sign(ALICE, [(PROJECTS[0], 10**15)], 0), format="json").status_code == 201
    from_file, first = _get(api)
    assert not from_file
    assert _get(api) == (True, first) and first == _fresh(api, settings)

    assert api.post("/allocations/allocate", sign(BOB, [(PROJECTS[1], 10**16)], 0), format="json").status_code == 201
    from_file, second = _get(api)
    assert not from_file and second != first and second == _fresh(api, settings)
    assert _get(api) == (True, second)

    signature = "0x" + Account.sign_message(encode_defunct(text=patron_mode_message(CAROL.address, enable=True)),
                                            CAROL.key).signature.hex()
    assert api.patch(f"/user/{CAROL.address}/patron-mode", {"signature": signature}, format="json").status_code == 200
    from_file, third = _get(api)  # Carol's budget joins the matching pool
    assert not from_file and third != second and third == _fresh(api, settings)
    assert _get(api) == (True, third)


def test_nothing_is_kept_before_any_allocation(api, window):
    assert _get(api)[0] is False
    assert _get(api)[0] is False
