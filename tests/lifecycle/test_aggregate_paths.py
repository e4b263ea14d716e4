"""The aggregate paths (epoch info, finalized simulation) equal the full recomputation from every
allocation, to the wei, on random epochs: random donors, UQ scores, budgets, replaced allocations (inexact
aggregates waiting for their rebuild), revoked ones and patrons."""
import random

import pytest
from eth_account import Account

from allocations import funding
from allocations import services as allocation_services
from allocations.models import UniquenessQuotient
from deposits.models import Budget
from epochs import selectors
from lifecycle import overview, snapshots
from lifecycle.apis import EpochInfo
from octant.chain.backends import get_chain
from users.models import PatronEvent, User

from tests.fixtures.chain import DURATION, START, WINDOW, take_finalized_snapshot
from tests.fixtures.window import PROJECTS, sign, walk_to_window

ETH = GLM = 10**18


def _allocate(account, allocations, nonce):
    body = sign(account, allocations, nonce)
    allocation_services.allocate(user_address=account.address, allocations=allocations, nonce=nonce,
                                 signature=body["signature"], is_manually_edited=False, view=selectors.chain_view())


def random_epoch(epoch: int, seed: int):
    """The chain in `epoch`'s allocation window with random donors having allocated; returns the chain."""
    rng = random.Random(seed)
    chain = get_chain()
    chain.set_time(timestamp=START - 100)
    chain.configure(start=START, duration=DURATION, decision_window=WINDOW)
    for n in range(1, epoch + 2):
        chain.set_proceeds(n, rng.randrange(10, 200) * ETH)
        for project in PROJECTS:
            chain.add_project(n, project)
    chain.set_time(timestamp=START + 1)
    chain.lock(Account.from_key(b"\x01" * 32).address, 50_000 * GLM)
    walk_to_window(chain, epoch)
    accounts = [Account.from_key(rng.randbytes(32)) for _ in range(12)]
    for account in accounts:  # budgets and UQ as the snapshot and the first allocation would leave them
        Budget.objects.create(epoch=epoch, address=account.address, amount=rng.randrange(1, 10**20))
        user = User.objects.create(address=account.address)
        UniquenessQuotient.objects.create(user=user, epoch=epoch, score=rng.choice(["1.0", "0.01", "0.0", "1.0"]))
    nonces = {}
    for step in range(30):
        account = rng.choice(accounts)
        budget = Budget.objects.get(epoch=epoch, address=account.address).amount
        projects = rng.sample(PROJECTS, rng.randint(1, len(PROJECTS)))
        amounts = [rng.choice([0, rng.randrange(budget // 4 + 1)]) for _ in projects]
        if rng.random() < 0.1:  # all of the budget
            amounts[0] = budget - sum(amounts[1:])
        nonce = nonces.get(account.address, -1) + 1
        _allocate(account, list(zip(projects, amounts)), nonce)
        nonces[account.address] = nonce
        if rng.random() < 0.1:
            funding.project_funding_rebuild(epoch=epoch)
    for account in rng.sample(accounts, 2):  # patrons: their allocations are withdrawn
        PatronEvent.objects.create(address=account.address, enabled=True, timestamp=chain.epoch_view()[0])
        allocation_services.allocations_revoke(address=account.address, epoch=epoch, view=selectors.chain_view())
    return chain


FIELDS = ["patrons_rewards", "matched_rewards", "staking_matched_reserved", "allocations_sum",
          "total_withdrawals", "leftover", "user_rewards", "leaves", "merkle_root", "project_leaves"]


def _figures(result):
    return {**{f: getattr(result, f) for f in FIELDS},
            "rewards_sum": result.project_rewards.rewards_sum,
            "used": result.project_rewards.used_matched_rewards, "threshold": result.project_rewards.threshold,
            "rewards": sorted((r.address, r.allocated, r.matched) for r in result.project_rewards.rewards)}


def _full_info(epoch: int, at: int | None) -> dict:
    live = snapshots.finalization_compute(epoch=epoch, at=at)
    from epochs.models import PendingEpochSnapshot

    snapshot = PendingEpochSnapshot.objects.get(epoch=epoch)
    info = overview._info(epoch, selectors.octant_rewards_of(snapshot, patrons_rewards=live.patrons_rewards),
                          total_withdrawals=live.total_withdrawals, patrons_rewards=live.patrons_rewards,
                          matched_rewards=live.matched_rewards, leftover=live.leftover,
                          donated_to_projects=live.project_rewards.rewards_sum,
                          staking_matched_reserved_for_v2=live.staking_matched_reserved)
    return dict(EpochInfo(info).data)


@pytest.mark.parametrize("epoch, seed", [(4, 1), (4, 2), (4, 3), (5, 4), (2, 5), (3, 6)])
def test_aggregates_equal_the_full_computation(api, db, epoch, seed, django_assert_max_num_queries):
    chain = random_epoch(epoch, seed)
    now = chain.epoch_view()[0]
    full = snapshots.finalization_compute(epoch=epoch, at=now)
    assert full.user_rewards and full.project_rewards.rewards_sum  # a real epoch, not an empty one
    assert _figures(snapshots.finalization_compute(epoch=epoch, at=now, from_aggregates=True)) == _figures(full)
    light = snapshots.finalization_compute(epoch=epoch, at=now, from_aggregates=True, users=False)
    assert (light.total_withdrawals, light.leftover) == (full.total_withdrawals, full.leftover)

    expected = _full_info(epoch, now)
    from allocations import selectors as allocation_selectors

    in_memory = allocation_selectors.exact_funding_aggregates(epoch=epoch)
    funding.project_funding_rebuild(epoch=epoch)  # every aggregate exact: O(projects) queries
    assert in_memory == allocation_selectors.funding_aggregates(epoch=epoch)  # to the last digit of Σ√
    with django_assert_max_num_queries(17):  # computed from the aggregates
        assert api.get(f"/epochs/info/{epoch}").json() == expected
    with django_assert_max_num_queries(9):  # shared until the epoch's state changes
        assert api.get(f"/epochs/info/{epoch}").json() == expected

    simulated = api.get("/snapshots/finalized/simulate").json()
    assert simulated["totalWithdrawals"] == str(full.total_withdrawals)
    assert simulated["merkleRoot"] == full.merkle_root
    assert simulated["userRewards"] == [{"address": a, "amount": str(v)} for a, v in full.user_rewards]
    assert (simulated["leftover"], simulated["matchedRewards"], simulated["patronsRewards"]) == (
        str(full.leftover), str(full.matched_rewards), str(full.patrons_rewards))
    assert sorted((p["address"], p["amount"], p["matched"]) for p in simulated["projectsRewards"]) == sorted(
        (a, str(amount), str(m)) for a, amount, m in full.project_leaves)
    assert api.get("/snapshots/finalized/simulate").json() == simulated  # the merkle tree reused

    chain.set_time(timestamp=START + epoch * DURATION + WINDOW + 1)  # window closed: finalizing
    assert selectors.epoch_state(epoch=epoch, view=selectors.chain_view()) is selectors.EpochState.FINALIZING
    assert api.get(f"/epochs/info/{epoch}").json() == _full_info(epoch, None)
    assert take_finalized_snapshot() == epoch
    body = api.get(f"/epochs/info/{epoch}").json()
    from allocations.models import EpochFunding

    EpochFunding.objects.filter(epoch=epoch).delete()  # no totals: the full path
    assert api.get(f"/epochs/info/{epoch}").json() == body
    assert body["donatedToProjects"] is not None
