"""What is kept of a figure is kept per value of the settings that change figures (issue 25, item 17): two
servers sharing one cache, one with EXACT_REWARDS_FROM_EPOCH and one without, served each other's figures."""
import re
from pathlib import Path

from django.core.cache import cache
from django.test import override_settings
from eth_utils import to_checksum_address
from model_bakery import baker

from octant.core.cache import FIGURE_SETTINGS, figures_version
from octant.web import answer_files
from projects.models import Project

from tests.fixtures.window import EPOCH, PROJECTS, USERS, sign

ROOT = Path(__file__).resolve().parents[3]
ALICE, BOB, CAROL = USERS
P1, P2, P3 = PROJECTS


def test_every_setting_the_rule_set_reads_is_a_figure_setting():
    read = set()
    for module in ("epochs/rules.py", "rewards/variants.py"):
        text = (ROOT / module).read_text()
        read |= set(re.findall(r"settings\.([A-Z][A-Z0-9_]+)", text))
        read |= set(re.findall(r"getattr\(settings, \"([A-Z][A-Z0-9_]+)\"", text))
    assert read and read <= set(FIGURE_SETTINGS)
    with override_settings(EXACT_REWARDS_FROM_EPOCH=None):
        off = figures_version()
    with override_settings(EXACT_REWARDS_FROM_EPOCH=EPOCH):
        assert figures_version() != off
    with override_settings(EPOCH_RULES="mainnet"):
        mainnet = figures_version()
    with override_settings(EPOCH_RULES="current"):
        assert figures_version() != mainnet


def test_answer_files_are_kept_apart_by_the_figure_settings(db):
    with override_settings(EXACT_REWARDS_FROM_EPOCH=None):
        off = answer_files.answer_path(name="simulation-4", key="1:2")
    with override_settings(EXACT_REWARDS_FROM_EPOCH=EPOCH):
        on = answer_files.answer_path(name="simulation-4", key="1:2")
    assert on is not None and on != off


def _allocate(api):
    extra = [to_checksum_address(f"0x{n:040x}") for n in range(0xA1, 0xA5)]  # the exact and float modes differ here
    for address in extra:
        baker.make(Project, epoch=EPOCH, address=address)
    mine = {ALICE: [(P1, 10**17 + 7), (P2, 3 * 10**17 + 1), (extra[0], 2 * 10**17 + 11)],
            BOB: [(P1, 2 * 10**17 + 3), (extra[1], 5 * 10**17 + 1)],
            CAROL: [(P3, 123456789123), (extra[2], 4 * 10**17 + 5), (extra[3], 3 * 10**17 + 9), (P2, 10**17)]}
    for account, allocations in mine.items():
        assert api.post("/allocations/allocate", sign(account, allocations, 0), format="json").status_code == 201


def _answers(api) -> tuple:
    return api.get("/rewards/projects/estimated").json(), api.get(f"/epochs/info/{EPOCH}").json()


def test_two_rule_settings_sharing_one_cache_get_their_own_figures(api, window):
    _allocate(api)
    fresh = {}
    for exact in (None, EPOCH):  # what each setting answers on its own (an empty cache)
        cache.clear()
        with override_settings(EXACT_REWARDS_FROM_EPOCH=exact):
            fresh[exact] = _answers(api)
    assert fresh[None][0] != fresh[EPOCH][0] and fresh[None][1] != fresh[EPOCH][1]
    cache.clear()
    for exact in (None, EPOCH, None, EPOCH):  # one cache, the two servers' requests in turn
        with override_settings(EXACT_REWARDS_FROM_EPOCH=exact):
            assert _answers(api) == fresh[exact]
