"""The whole path from chain locks to budgets, through the real interfaces: `chain` commands, the beat job
and HTTP. Expected figures come from the pure engine, fed with events written out by hand."""
import pytest

from deposits import engine as deposits_engine
from deposits.models import Budget, Deposit
from epochs.models import PendingEpochSnapshot
from lifecycle.tasks import epochs_tick_task
from rewards import engine as rewards_engine

from tests.fixtures.chain import DURATION, START
from tests.fixtures.locks import A, A_, B, B_, C, C_, ETH, GLM, command


def lock(t, amount, before):
    return {"type": "lock", "timestamp": t, "amount": amount, "before": before}


def unlock(t, amount, before):
    return {"type": "unlock", "timestamp": t, "amount": amount, "before": before}


def expected(epoch, events_by_user, start, proceeds, with_unlocks):
    deposits = {}
    for user, events in events_by_user.items():
        raw = deposits_engine.effective_deposit(events, start, start + DURATION, with_unlocks=with_unlocks)
        locked = deposits_engine.locked_at_end(events)
        deposits[user] = (deposits_engine.cut_off(locked, raw), locked)
    total = sum(ed for ed, _ in deposits.values())
    rewards = rewards_engine.octant_rewards(epoch, staking_proceeds=proceeds, total_effective_deposit=total)
    budgets = {
        user: rewards_engine.user_budget(epoch, effective_deposit=ed, total_effective_deposit=total,
                                         vanilla_individual_rewards=rewards.vanilla_individual_rewards, ppf=rewards.ppf)
        for user, (ed, _) in deposits.items()
    }
    return deposits, total, rewards, {u: b for u, b in budgets.items() if b}


def test_locks_to_budgets_across_two_epochs(api, two_epochs):
    # Epoch 1 is still running: the beat job has nothing to snapshot.
    assert epochs_tick_task.delay().get()["pendingSnapshot"] is None
    command("time", "--set", START + DURATION + 1)  # epoch 2 starts, the window of epoch 1 opens
    assert epochs_tick_task.delay().get()["pendingSnapshot"] == 1

    zero = {"type": "lock", "timestamp": START, "amount": 0, "before": 0}
    deposits1, total1, rewards1, budgets1 = expected(1, {
        A_: [zero, lock(START + 10, 1000 * GLM, 0)],
        B_: [zero, lock(START + 10, 500 * GLM, 0), unlock(START + 500, 200 * GLM, 500 * GLM)],
        C_: [zero, lock(START + 500, 50 * GLM, 0)],
    }, START, 10 * ETH, with_unlocks=True)
    snapshot = PendingEpochSnapshot.objects.get(epoch=1)
    assert snapshot.total_effective_deposit == total1 > 0
    assert snapshot.vanilla_individual_rewards == rewards1.vanilla_individual_rewards
    assert snapshot.operational_cost == rewards1.operational_cost == 2 * ETH  # epoch 1: 20 %
    assert snapshot.ppf is None and snapshot.community_fund is None
    assert {d.address: (d.effective_deposit, d.epoch_end_deposit) for d in Deposit.objects.filter(epoch=1)} == deposits1
    assert dict(Budget.objects.filter(epoch=1).values_list("address", "amount")) == budgets1
    assert C_ not in budgets1 and len(budgets1) == 2

    # HTTP reads of the snapshot
    assert api.get(f"/rewards/budget/{A}/epoch/1").json() == {"budget": str(budgets1[A_])}
    assert api.get(f"/rewards/budget/{C}/epoch/1").status_code == 204
    assert api.get("/rewards/budgets/epoch/1").json() == {
        "budgets": [{"address": a, "amount": str(b)} for a, b in sorted(budgets1.items())]}
    assert api.get("/deposits/1/total_effective").json() == {"totalEffective": str(total1)}
    assert api.get("/deposits/1/locked_ratio").json() == {"lockedRatio": str(rewards1.locked_ratio)}
    assert api.get(f"/deposits/users/{B}/1").json() == {"effectiveDeposit": str(deposits1[B_][0])}

    # Epoch 2: carry-in of the epoch-1 balances, then more events; epoch >= 2 weighs without unlocks.
    start2 = START + DURATION
    command("time", "--set", start2 + 100)
    command("lock", A, 100 * GLM)
    command("time", "--set", start2 + 600)
    command("unlock", A, 300 * GLM)
    command("lock", C, 200 * GLM)
    command("time", "--set", start2 + DURATION + 1)
    assert epochs_tick_task.delay().get()["pendingSnapshot"] == 2
    deposits2, total2, rewards2, budgets2 = expected(2, {
        A_: [lock(start2, 0, 1000 * GLM), lock(start2 + 100, 100 * GLM, 1000 * GLM),
             unlock(start2 + 600, 300 * GLM, 1100 * GLM)],
        B_: [lock(start2, 0, 300 * GLM)],
        C_: [lock(start2, 0, 50 * GLM), lock(start2 + 600, 200 * GLM, 50 * GLM)],
    }, start2, 12 * ETH, with_unlocks=False)
    assert {d.address: (d.effective_deposit, d.epoch_end_deposit) for d in Deposit.objects.filter(epoch=2)} == deposits2
    assert dict(Budget.objects.filter(epoch=2).values_list("address", "amount")) == budgets2
    assert PendingEpochSnapshot.objects.get(epoch=2).total_effective_deposit == total2
    assert deposits2[A_][0] == 800 * GLM  # the unlocked 300 counts for none of the epoch


def test_snapshot_is_idempotent(api, two_epochs):
    command("time", "--set", START + DURATION + 1)
    response = api.post("/snapshots/pending")
    assert response.status_code == 201 and response.json() == {"epoch": 1}
    rows = (list(Deposit.objects.values_list("id", "effective_deposit")), list(Budget.objects.values_list("id", "amount")))
    response = api.post("/snapshots/pending")
    assert response.status_code == 200 and response.content in (b"", b"null")
    assert epochs_tick_task.delay().get()["pendingSnapshot"] is None
    assert (list(Deposit.objects.values_list("id", "effective_deposit")),
            list(Budget.objects.values_list("id", "amount"))) == rows


def test_a_snapshot_killed_midway_leaves_no_partial_rows(api, two_epochs, monkeypatch):
    command("time", "--set", START + DURATION + 1)

    def crash(*args, **kwargs):
        raise SystemExit("killed while writing budgets")

    monkeypatch.setattr(Budget.objects, "bulk_create", crash)
    with pytest.raises(SystemExit):
        epochs_tick_task.delay()
    assert not PendingEpochSnapshot.objects.exists() and not Deposit.objects.exists()
    monkeypatch.undo()
    assert api.post("/snapshots/pending").status_code == 201  # and it recovers on the next run
    assert Budget.objects.filter(epoch=1).count() == 2


def test_out_of_order_snapshot_is_refused_with_a_clear_message(api, two_epochs):
    command("time", "--set", START + 2 * DURATION + 1)  # window of epoch 2 open; epoch 1 never snapshotted
    response = api.post("/snapshots/pending")
    assert response.status_code == 409
    assert response.json() == {"message": "Epoch 2 cannot be snapshotted before epoch 1"}
    assert not PendingEpochSnapshot.objects.exists()


def test_no_window_no_snapshot(api, two_epochs):
    response = api.post("/snapshots/pending")
    assert response.status_code == 200 and not PendingEpochSnapshot.objects.exists()
