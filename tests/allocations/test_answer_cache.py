"""The big lists (an epoch's allocations, its donors, its budgets) are kept as files per state of the epoch
(octant.web.answer_files): a repeated request is served from the file, byte for byte the answer built afresh,
and any change of the lists is a new state, never served stale."""
import shutil

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from allocations import funding, selectors
from octant.core.signatures import patron_mode_message
from octant.web.answer_files import FileAnswer
from octant.web.http import ChunkedResponse

from tests.fixtures.chain import DURATION, START, WINDOW
from tests.fixtures.window import EPOCH, PROJECTS, USERS, sign

ALICE, BOB, CAROL = USERS
P1, P2, P3 = PROJECTS
LISTS = [f"/allocations/epoch/{EPOCH}", f"/allocations/epoch/{EPOCH}?includeZeroAllocations=true",
         f"/allocations/donors/{EPOCH}", f"/rewards/budgets/epoch/{EPOCH}"]


def _get(api, path):
    response = api.get(path)
    assert response.status_code == 200
    return response, b"".join(response.streaming_content)


def _fresh(api, settings, path) -> bytes:
    """The answer built from the database, no cache."""
    kept, settings.ANSWER_CACHE_DIR = settings.ANSWER_CACHE_DIR, ""
    try:
        response, body = _get(api, path)
        assert isinstance(response, ChunkedResponse)
        return body
    finally:
        settings.ANSWER_CACHE_DIR = kept


def _served(api, settings, path) -> bytes:
    """The answer as served, checked equal to the one built afresh; it must come from the kept file."""
    response, body = _get(api, path)
    assert isinstance(response, FileAnswer), path
    assert response["Content-Length"] == str(len(body))
    assert body == _fresh(api, settings, path)
    return body


def _allocate(api, account, allocations, nonce):
    assert api.post("/allocations/allocate", sign(account, allocations, nonce), format="json").status_code == 201


@pytest.fixture
def allocated(api, window):
    _allocate(api, ALICE, [(P1, 10**15), (P2, 0)], 0)
    _allocate(api, BOB, [(P3, 5), (P1, 7)], 0)
    return window


def test_the_kept_answer_equals_the_built_one(api, allocated, settings):
    for path in LISTS:
        first, built = _get(api, path)
        assert isinstance(first, ChunkedResponse)
        assert _served(api, settings, path) == built
        assert _served(api, settings, path) == built
    assert b'"amount":"0"' in _served(api, settings, LISTS[1])
    assert b'"amount":"0"' not in _served(api, settings, LISTS[0])


def test_every_change_of_the_allocations_is_a_new_answer(api, allocated, settings):
    def served_after_change(path) -> bytes:
        response, body = _get(api, path)
        assert isinstance(response, ChunkedResponse), "served the answer of the state before"
        assert body == _fresh(api, settings, path)
        assert _served(api, settings, path) == body
        return body

    path = LISTS[0]
    _get(api, path)
    before = _served(api, settings, path)
    donors = _get(api, LISTS[2])[1]
    _allocate(api, CAROL, [(P2, 3)], 0)  # a new donor
    added = served_after_change(path)
    assert CAROL.address.encode() in added and CAROL.address.encode() not in before
    assert CAROL.address.encode() in served_after_change(LISTS[2]) and CAROL.address.encode() not in donors

    _allocate(api, ALICE, [(P1, 10**15), (P2, 0)], 1)  # the same allocations again: now listed last
    again = served_after_change(path)
    assert again != added and again.rindex(ALICE.address.encode()) > again.rindex(CAROL.address.encode())

    funding.project_funding_rebuild(epoch=EPOCH)  # the rebuild after a replacement: the same rows
    assert served_after_change(path) == again

    signature = "0x" + Account.sign_message(encode_defunct(text=patron_mode_message(BOB.address, enable=True)),
                                            BOB.key).signature.hex()
    assert api.patch(f"/user/{BOB.address}/patron-mode", {"signature": signature}, format="json").status_code == 200
    revoked = served_after_change(path)  # patron mode withdraws Bob's allocations
    assert BOB.address.encode() in again and BOB.address.encode() not in revoked


def test_zero_allocations_listed_or_not_are_kept_apart(api, allocated, settings):
    nonzero, everything = LISTS[0], LISTS[1]
    _get(api, nonzero)
    assert _served(api, settings, nonzero) != _get(api, everything)[1]
    assert _served(api, settings, everything).count(b'"donor"') == 4
    assert _served(api, settings, nonzero).count(b'"donor"') == 3


def test_a_closed_window_keeps_its_answers(api, allocated, settings):
    _get(api, LISTS[0])
    before = _served(api, settings, LISTS[0])
    allocated.set_time(timestamp=START + EPOCH * DURATION + WINDOW + 1)
    assert _served(api, settings, LISTS[0]) == before


def test_without_aggregates_nothing_is_kept(api, window, settings):
    """An epoch nobody allocated in (or allocations loaded in bulk) has no state to key its answer, nor
    budgets before the epoch's pending snapshot."""
    assert selectors.allocations_version(epoch=EPOCH) is None
    for _ in range(2):
        response, body = _get(api, LISTS[0])
        assert isinstance(response, ChunkedResponse) and body == b'{"allocations":[]}'
        response, body = _get(api, f"/rewards/budgets/epoch/{EPOCH + 1}")  # no pending snapshot yet
        assert isinstance(response, ChunkedResponse) and body == b'{"budgets":[]}'


def test_a_broken_cache_directory_falls_back_to_building(api, allocated, settings, tmp_path):
    _get(api, LISTS[0])
    _served(api, settings, LISTS[0])
    shutil.rmtree(settings.ANSWER_CACHE_DIR)  # the directory removed: built, and kept again
    response, body = _get(api, LISTS[0])
    assert isinstance(response, ChunkedResponse) and body == _fresh(api, settings, LISTS[0])
    assert _served(api, settings, LISTS[0]) == body
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    settings.ANSWER_CACHE_DIR = str(blocker)
    for path in LISTS:
        for _ in range(2):
            response, body = _get(api, path)
            assert isinstance(response, ChunkedResponse)
            assert body == _fresh(api, settings, path)
