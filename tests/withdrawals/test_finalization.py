"""A whole epoch through the real interfaces: locks, window, signed allocations, the beat job's finalized
snapshot, withdrawal proofs, the vault job."""
from decimal import Decimal

import pytest
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

from allocations import engine as allocations_engine
from epochs.models import FinalizedEpochSnapshot, PendingEpochSnapshot
from lifecycle.tasks import epochs_tick_task
from rewards import engine as rewards_engine
from withdrawals import engine as merkle
from withdrawals.models import Reward

from tests.fixtures.chain import DURATION, START, WINDOW
from tests.fixtures.window import EPOCH, PROJECTS, USERS, sign

ALICE, BOB, CAROL = USERS
P1, P2, P3 = PROJECTS
CLOSE = START + EPOCH * DURATION + WINDOW + 1  # the allocation window of EPOCH has closed


def test_an_epoch_from_allocations_to_withdrawals(api, window, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/allocations/allocate", sign(ALICE, [(P1, 10**18), (P2, 3 * 10**18)], 0),
                        format="json").status_code == 201
        assert api.post("/allocations/allocate", sign(BOB, [(P1, 2 * 10**18)], 0), format="json").status_code == 201
    # during the window: Alice's unallocated budget shows as a pending withdrawal without proof
    pending = api.get(f"/withdrawals/{ALICE.address}").json()
    assert [(e["epoch"], e["status"], e["proof"]) for e in pending] == [(EPOCH, "pending", [])]
    simulated = api.get("/snapshots/finalized/simulate").json()

    window.set_time(timestamp=CLOSE)
    result = epochs_tick_task.delay().get()
    assert result["finalizedSnapshot"] == EPOCH and result["vaultRoots"] == [EPOCH]
    snapshot = FinalizedEpochSnapshot.objects.get(epoch=EPOCH)

    # figures equal the engine's, to the wei
    pending_snapshot = PendingEpochSnapshot.objects.get(epoch=EPOCH)
    rewards = rewards_engine.octant_rewards(EPOCH, staking_proceeds=pending_snapshot.eth_proceeds,
                                            total_effective_deposit=pending_snapshot.total_effective_deposit)
    allocations = [{"donor": ALICE.address, "project": P1, "amount": 10**18, "uq": Decimal("1.0")},
                   {"donor": ALICE.address, "project": P2, "amount": 3 * 10**18, "uq": Decimal("1.0")},
                   {"donor": BOB.address, "project": P1, "amount": 2 * 10**18, "uq": Decimal("0.01")}]
    projects = allocations_engine.project_rewards(EPOCH, allocations=allocations, projects=PROJECTS,
                                                  matched_rewards=rewards.matched_rewards)
    budgets = {r["address"]: int(r["amount"]) for r in api.get(f"/rewards/budgets/epoch/{EPOCH}").json()["budgets"]}
    claimed = rewards_engine.claimed_rewards(budgets, {ALICE.address: 4 * 10**18, BOB.address: 2 * 10**18})
    total_withdrawals = sum(c for _, c in claimed) + projects.rewards_sum
    assert snapshot.matched_rewards == rewards.matched_rewards
    assert snapshot.total_withdrawals == total_withdrawals
    assert snapshot.leftover == (pending_snapshot.eth_proceeds - pending_snapshot.operational_cost
                                 - pending_snapshot.community_fund - int(pending_snapshot.ppf / 2) - total_withdrawals
                                 + rewards.matched_rewards - projects.used_matched_rewards)  # docs/rewards.md §3.10
    assert simulated["totalWithdrawals"] == str(total_withdrawals) and simulated["merkleRoot"] == snapshot.withdrawals_merkle_root

    # the leaves: claimed budgets and projects' allocated + matched; they sum to TW less <= 1 wei a project
    leaves = dict(Reward.objects.filter(epoch=EPOCH).values_list("address", "amount"))
    expected = dict(claimed)
    expected.update({r.address: r.allocated + r.matched for r in projects.rewards if r.allocated})
    assert leaves == expected and CAROL.address not in leaves
    assert 0 <= total_withdrawals - sum(leaves.values()) <= len(PROJECTS)
    tree = api.get(f"/rewards/merkle_tree/{EPOCH}").json()
    assert tree["root"] == snapshot.withdrawals_merkle_root == merkle.merkle_tree(list(leaves.items())).root
    assert tree["rewardsSum"] == str(sum(leaves.values())) and tree["leafEncoding"] == ["address", "uint256"]

    # withdrawals: proofs verify against the root; available once the vault job has set it
    for address in (ALICE.address, P1):
        [entry] = api.get(f"/withdrawals/{address}").json()
        assert entry["status"] == "available" and entry["epoch"] == EPOCH
        assert merkle.verify(snapshot.withdrawals_merkle_root, address, int(entry["amount"]), entry["proof"])
    assert window.vault_merkle_root(EPOCH) == snapshot.withdrawals_merkle_root

    # final project rewards and unused budgets
    final = api.get(f"/rewards/projects/epoch/{EPOCH}").json()["rewards"]
    assert {r["address"]: (int(r["allocated"]), int(r["matched"])) for r in final} == {
        r.address: (r.allocated, r.matched) for r in projects.rewards if r.allocated}
    assert api.get(f"/rewards/unused/{EPOCH}").json() == {"addresses": [CAROL.address],
                                                         "value": str(budgets[CAROL.address])}
    info = api.get(f"/epochs/info/{EPOCH}").json()
    assert info["totalWithdrawals"] == str(total_withdrawals) and info["leftover"] == str(snapshot.leftover)

    # idempotent: the job and the endpoint find nothing more to do
    assert epochs_tick_task.delay().get() == {"depositEvents": 0, "epochs": 0, "pendingSnapshot": None,
                                         "finalizedSnapshot": None, "vaultRoots": []}
    assert api.post("/snapshots/finalized").status_code == 200


def test_vault_root_is_pending_until_set(api, window):  # noqa: F811
    api.post("/allocations/allocate", sign(ALICE, [(P1, 10**18)], 0), format="json")
    window.set_time(timestamp=CLOSE)
    with override_settings(VAULT_CONFIRM_WITHDRAWALS_ENABLED=False):
        assert epochs_tick_task.delay().get()["vaultRoots"] == []
        assert [e["status"] for e in api.get(f"/withdrawals/{ALICE.address}").json()] == ["pending"]
    assert epochs_tick_task.delay().get()["vaultRoots"] == [EPOCH]
    assert [e["status"] for e in api.get(f"/withdrawals/{ALICE.address}").json()] == ["available"]


def test_merkle_tree_before_finalization_is_refused(api, window):  # noqa: F811
    response = api.get(f"/rewards/merkle_tree/{EPOCH}")
    assert response.status_code == 400 and response.json() == {"message": "Given epoch is not valid."}
    assert api.get(f"/rewards/projects/epoch/{EPOCH}").json() == {"rewards": []}


def test_simulation_needs_an_open_window(api, window):  # noqa: F811
    window.set_time(timestamp=CLOSE)
    response = api.get("/snapshots/finalized/simulate")
    assert response.status_code == 400 and response.json() == {"message": "Possible only in open allocation window",
                                                                "detail": "Possible only in open allocation window"}


@pytest.mark.django_db(transaction=True)
def test_two_workers_set_the_vault_root_exactly_once(window):  # noqa: F811
    import threading

    from octant.chain.models import LocalVaultRoot
    from withdrawals.services import vault_confirm

    api = APIClient()
    assert api.post("/allocations/allocate", sign(ALICE, [(P1, 10**18)], 0), format="json").status_code == 201
    window.set_time(timestamp=CLOSE)
    with override_settings(VAULT_CONFIRM_WITHDRAWALS_ENABLED=False):
        assert epochs_tick_task.delay().get()["finalizedSnapshot"] == EPOCH
    results, barrier = [], threading.Barrier(2)

    def worker():
        barrier.wait()
        try:
            results.append(vault_confirm())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [[], [EPOCH]]
    assert LocalVaultRoot.objects.count() == 1
