"""The finalized snapshot's leftover to the wei when the decimal sum of matched rewards M is fractional
just below an integer (issue 13, item 4): the reference's total withdrawals take int(A ⊕ M) of the
28-digit sum, which rounds M up, while its used matched rewards are int(M), truncated."""
import random
from decimal import Decimal

import pytest

from allocations import engine as allocations_engine
from deposits.models import Budget
from epochs.models import FinalizedEpochSnapshot, PendingEpochSnapshot
from epochs.selectors import octant_rewards_of
from octant.chain.backends import get_chain

from tests.fixtures.chain import DURATION, START, WINDOW
from tests.fixtures.window import EPOCH, GLM, PROJECTS, USERS, sign, walk_to_window

ALICE, BOB, CAROL = USERS
UQ = {ALICE.address: Decimal("1.0"), BOB.address: Decimal("0.01"), CAROL.address: Decimal("1.0")}


@pytest.fixture
def rich_window(db):
    """The allocations window of epoch 4 with proceeds of 10⁹ ETH: budgets large enough that the 28-digit
    sum A ⊕ M keeps only a few decimals of M."""
    chain = get_chain()
    chain.set_time(timestamp=START - 100)
    chain.configure(start=START, duration=DURATION, decision_window=WINDOW)
    for n in range(1, EPOCH + 1):
        chain.set_proceeds(n, 10**27)
        for project in PROJECTS:
            chain.add_project(n, project)
    chain.set_time(timestamp=START + 1)
    for account, amount, score in zip(USERS, (10_000, 20_000, 5_000), ("20", "1", "7")):
        chain.lock(account.address, amount * GLM)
        chain.set_passport(account.address, score)
    walk_to_window(chain, EPOCH)
    return chain


def test_finalized_leftover_keeps_both_roundings(api, rich_window):
    budgets = dict(Budget.objects.filter(epoch=EPOCH).values_list("address", "amount"))
    matched_rewards = octant_rewards_of(PendingEpochSnapshot.objects.get(epoch=EPOCH)).matched_rewards
    rng = random.Random(4)
    for _ in range(5000):  # find amounts whose M rounds up in A ⊕ M
        chosen = [(account, project, rng.randrange(budgets[account.address] // 10, budgets[account.address]))
                  for account, project in zip(USERS, PROJECTS)]
        allocations = [{"donor": a.address, "project": p, "amount": amount, "uq": UQ[a.address]}
                       for a, p, amount in chosen]
        result = allocations_engine.project_rewards(EPOCH, allocations=allocations, projects=PROJECTS,
                                                    matched_rewards=matched_rewards)
        if result.rewards_sum == result.total_allocated + result.used_matched_rewards + 1:
            break
    else:
        pytest.fail("no fractional case found")
    for account, project, amount in chosen:
        assert api.post("/allocations/allocate", sign(account, [(project, amount)], 0), format="json").status_code == 201
    rich_window.set_time(timestamp=START + EPOCH * DURATION + WINDOW + 1)
    assert api.post("/snapshots/finalized").status_code == 201

    snapshot = FinalizedEpochSnapshot.objects.get(epoch=EPOCH)
    pending = PendingEpochSnapshot.objects.get(epoch=EPOCH)
    claimed = sum(budgets[a.address] - amount for a, _, amount in chosen)
    allocated = sum(amount for _, _, amount in chosen)
    used = result.used_matched_rewards  # int(M)
    assert snapshot.total_withdrawals == claimed + allocated + used + 1  # int(A ⊕ M): M rounded up
    assert snapshot.leftover == (pending.eth_proceeds - pending.operational_cost - pending.community_fund
                                 - int(pending.ppf / 2) - snapshot.total_withdrawals + matched_rewards - used)
