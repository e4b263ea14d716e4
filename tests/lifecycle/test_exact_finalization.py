"""Exact rewards mode end to end (docs/rewards.md §5.8): live estimates, the leverage simulation and
the finalized snapshot use exact capped QF, and total withdrawals equal the sum of the merkle leaves."""
from decimal import Decimal

from django.test import override_settings
from eth_utils import to_checksum_address
from model_bakery import baker

from allocations import engine as allocations_engine
from epochs.models import FinalizedEpochSnapshot, PendingEpochSnapshot
from epochs.selectors import octant_rewards_of
from projects.models import Project
from rewards.variants import rule_set
from withdrawals.models import Reward

from tests.fixtures.chain import DURATION, START, WINDOW
from tests.fixtures.window import EPOCH, PROJECTS, USERS, sign

ALICE, BOB, CAROL = USERS
P1, P2, P3 = PROJECTS


@override_settings(EXACT_REWARDS_FROM_EPOCH=EPOCH)
def test_an_exact_epoch_pays_out_what_it_reports(api, window, django_capture_on_commit_callbacks):  # noqa: F811
    extra = [to_checksum_address(f"0x{n:040x}") for n in range(0xA1, 0xA5)]  # seven projects: none reaches the 20 % cap
    for address in extra:
        baker.make(Project, epoch=EPOCH, address=address)
    projects = [*PROJECTS, *extra]
    mine = {ALICE: [(P1, 10**17 + 7), (P2, 3 * 10**17 + 1), (extra[0], 2 * 10**17 + 11)],
            BOB: [(P1, 2 * 10**17 + 3), (extra[1], 5 * 10**17 + 1)],
            CAROL: [(P3, 123456789123), (extra[2], 4 * 10**17 + 5), (extra[3], 3 * 10**17 + 9), (P2, 10**17)]}
    with django_capture_on_commit_callbacks(execute=True):
        for account, allocations in mine.items():
            response = api.post("/allocations/allocate", sign(account, allocations, 0), format="json")
            assert response.status_code == 201, response.json()
    matched_rewards = octant_rewards_of(PendingEpochSnapshot.objects.get(epoch=EPOCH)).matched_rewards
    uqs = {ALICE.address: Decimal("1.0"), BOB.address: Decimal("0.01"), CAROL.address: Decimal("1.0")}
    live = [{"donor": account.address, "project": p, "amount": a, "uq": uqs[account.address]}
            for account, allocations in mine.items() for p, a in allocations]
    expected = allocations_engine.project_rewards(EPOCH, allocations=live, projects=projects,
                                                  matched_rewards=matched_rewards, rules=rule_set(exact_from=EPOCH))
    reference = allocations_engine.project_rewards(EPOCH, allocations=live, projects=projects,
                                                   matched_rewards=matched_rewards)
    assert [r.matched for r in expected.rewards] != [r.matched for r in reference.rewards]  # the modes differ here
    estimated = api.get("/rewards/projects/estimated").json()["rewards"]
    assert {r["address"]: int(r["matched"]) for r in estimated} == {r.address: r.matched for r in expected.rewards}
    leverage = api.post(f"/allocations/leverage/{CAROL.address}", {"allocations": [{"proposalAddress": P3,
                        "amount": "1000"}]}, format="json")
    assert leverage.status_code == 200

    window.set_time(timestamp=START + EPOCH * DURATION + WINDOW + 1)
    assert api.post("/snapshots/finalized").status_code == 201
    snapshot = FinalizedEpochSnapshot.objects.get(epoch=EPOCH)
    leaves = sum(Reward.objects.filter(epoch=EPOCH).values_list("amount", flat=True))
    assert snapshot.total_withdrawals == leaves
    assert api.get(f"/rewards/merkle_tree/{EPOCH}").json()["rewardsSum"] == str(snapshot.total_withdrawals)
    final = {r["address"]: int(r["matched"]) for r in api.get(f"/rewards/projects/epoch/{EPOCH}").json()["rewards"]}
    assert final == {r.address: r.matched for r in expected.rewards if r.allocated}
