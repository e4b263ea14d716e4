"""Every finalized epoch verified by itself (docs/lifecycle.md §1.9): random epochs finalized by the tick get a
passing report before the Vault gets their root; a corrupted reward gets a failing one, and the Vault waits
until staff acknowledge it in the admin."""
import random

import pytest
from django.core.management import call_command
from django.test import override_settings
from eth_account import Account

from allocations import services as allocation_services
from epochs import selectors
from epochs.models import FinalizedEpochSnapshot
from lifecycle import verification
from lifecycle.tasks import epochs_tick_task
from octant.chain.backends import get_chain
from users.models import PatronEvent
from withdrawals.models import EpochVerification, Reward
from withdrawals.services import vault_confirm

from tests.fixtures.chain import DURATION, ETH, GLM, START, WINDOW
from tests.fixtures.window import sign, walk_to_window


def _allocate(account, allocations, nonce):
    body = sign(account, allocations, nonce)
    allocation_services.allocate(user_address=account.address, allocations=allocations, nonce=nonce,
                                 signature=body["signature"], is_manually_edited=False, view=selectors.chain_view())


def random_epoch(epoch: int, seed: int):
    """The chain in `epoch`'s allocation window, every budget from real locks through the pending snapshots:
    random lockers (amounts, passport scores, so UQs 1.0 and 0.01), projects and proceeds, random allocations
    (some replaced, some of a whole budget) and patrons, whose allocations are withdrawn. Returns the chain."""
    rng = random.Random(seed)
    chain = get_chain()
    chain.set_time(timestamp=START - 100)
    chain.configure(start=START, duration=DURATION, decision_window=WINDOW)
    projects = [Account.from_key(rng.randbytes(32)).address for _ in range(rng.randint(3, 9))]
    for n in range(1, epoch + 2):
        chain.set_proceeds(n, rng.randrange(10, 300) * ETH + rng.randrange(ETH))
        for project in projects:
            chain.add_project(n, project)
    chain.set_time(timestamp=START + 1)
    accounts = [Account.from_key(rng.randbytes(32)) for _ in range(rng.randint(8, 16))]
    for account in accounts:
        chain.lock(account.address, rng.randrange(100, 200_000) * GLM + rng.randrange(GLM))
        chain.set_passport(account.address, str(rng.choice([0, 3, 7, 20])))
    walk_to_window(chain, epoch)
    from deposits.models import Budget

    budgets = dict(Budget.objects.filter(epoch=epoch).values_list("address", "amount"))
    donors = [account for account in accounts if budgets.get(account.address)]
    nonces = {}
    for _ in range(3 * len(donors)):
        account = rng.choice(donors)
        budget = budgets[account.address]
        chosen = rng.sample(projects, rng.randint(1, len(projects)))
        amounts = [rng.choice([0, rng.randrange(budget // len(chosen) + 1)]) for _ in chosen]
        if rng.random() < 0.2:  # the whole budget
            amounts[0] = budget - sum(amounts[1:])
        nonce = nonces.get(account.address, -1) + 1
        _allocate(account, list(zip(chosen, amounts)), nonce)
        nonces[account.address] = nonce
    for account in rng.sample(accounts, 2):  # patrons: their allocations are withdrawn
        PatronEvent.objects.create(address=account.address, enabled=True, timestamp=chain.epoch_view()[0])
        allocation_services.allocations_revoke(address=account.address, epoch=epoch, view=selectors.chain_view())
    return chain


def close_window(chain, epoch: int) -> None:
    chain.set_time(timestamp=START + epoch * DURATION + WINDOW + 1)


@pytest.mark.parametrize("epoch, seed, exact_from", [(4, 1, None), (5, 2, None), (4, 3, 4), (6, 4, 5), (2, 5, None),
                                                     (3, 6, None)])
def test_a_random_epoch_finalized_by_the_tick_passes_its_verification(api, db, epoch, seed, exact_from):
    with override_settings(EXACT_REWARDS_FROM_EPOCH=exact_from):
        chain = random_epoch(epoch, seed)
        close_window(chain, epoch)
        result = epochs_tick_task()
        assert result["finalizedSnapshot"] == epoch
        report = EpochVerification.objects.get(epoch=epoch)
        failed = [check for check in report.checks if not check["passed"]]
        assert report.passed and not failed, failed
        assert result["vaultRoots"] == [epoch]  # verified, then set on the Vault
        snapshot = FinalizedEpochSnapshot.objects.get(epoch=epoch)
        assert get_chain().vault_merkle_root(epoch) == snapshot.withdrawals_merkle_root
        assert Reward.objects.filter(epoch=epoch, matched__isnull=True).exists()  # a real epoch: users claim
        assert Reward.objects.filter(epoch=epoch, matched__gt=0).exists()  # and projects are matched
        names = [check["name"] for check in report.checks]
        assert {"user budgets (Σ, each from its effective deposit)", "matched rewards", "leftover (staking "
                "proceeds - distributed)", "merkle root of the stored leaves", "total withdrawals = Σ merkle leaves",
                "proofs verifying under the root on record", "the Vault's root"} <= set(names)
        assert sum(name.startswith("project 0x") for name in names) == Reward.objects.filter(
            epoch=epoch, matched__isnull=False).count()
        margins = {check["name"]: int(check["margin"]) for check in report.checks}
        assert report.exact == (exact_from is not None)
        if report.exact or epoch < 4:
            assert set(margins.values()) == {0}  # exact mode (and the linear epochs): no margin anywhere
        else:  # the float square roots of capped QF: the only margins, stated
            assert {name for name, margin in margins.items() if margin} == {
                "total withdrawals = Σ merkle leaves",
                "matched vs integer quadratic funding (largest difference per project)"}

        body = api.get(f"/snapshots/finalized/{epoch}/verification").json()
        assert body["epoch"] == epoch and body["passed"] is True and body["exact"] == report.exact
        assert body["acknowledgedBy"] is None and body["acknowledgedAt"] is None and body["verifiedAt"]
        assert body["checks"] == report.checks
        # the Vault's root, now set, is compared too when the epoch is verified again
        again = verification.epoch_verify(epoch=epoch)
        vault = next(check for check in again.checks if check["name"] == "the Vault's root")
        assert again.passed and vault["actual"] == snapshot.withdrawals_merkle_root


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser("auditor", "auditor@example.com", "pw")
    client.force_login(user)
    return client


def test_a_corrupted_reward_fails_and_blocks_the_vault_until_acknowledged(api, db, staff):
    epoch = 4
    chain = random_epoch(epoch, 7)
    close_window(chain, epoch)
    with override_settings(VAULT_CONFIRM_WITHDRAWALS_ENABLED=False):
        assert epochs_tick_task()["finalizedSnapshot"] == epoch
    assert EpochVerification.objects.get(epoch=epoch).passed
    reward = Reward.objects.filter(epoch=epoch, matched__isnull=False).order_by("address").first()
    Reward.objects.filter(pk=reward.pk).update(amount=reward.amount + 1)  # one wei more to one project

    with pytest.raises(Exception, match="verification failed"):
        call_command("verify_epoch", str(epoch))
    report = EpochVerification.objects.get(epoch=epoch)
    failed = {check["name"] for check in report.checks if not check["passed"]}
    # (one wei hides in the float margin of "total withdrawals = Σ merkle leaves"; the project's check has none)
    assert failed == {f"project {reward.address}: allocated + matched", "merkle root of the stored leaves",
                      "proofs verifying under the root on record"}
    body = api.get(f"/snapshots/finalized/{epoch}/verification").json()
    assert body["passed"] is False
    check = next(c for c in body["checks"] if c["name"] == f"project {reward.address}: allocated + matched")
    assert (check["expected"], check["actual"], check["margin"]) == (str(reward.amount), str(reward.amount + 1), "0")

    assert vault_confirm() == [] and epochs_tick_task()["vaultRoots"] == []  # refused, run after run
    assert get_chain().vault_merkle_root(epoch) is None
    snapshot = FinalizedEpochSnapshot.objects.get(epoch=epoch)
    page = staff.get(f"/admin/epochs/finalizedepochsnapshot/{snapshot.pk}/change/").content.decode()
    assert "FAILED" in page and f"project {reward.address}" in page

    response = staff.post("/admin/epochs/finalizedepochsnapshot/",
                          {"action": "acknowledge_verification", "_selected_action": [snapshot.pk]})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.acknowledged_by == "auditor" and report.acknowledged_at is not None and not report.passed
    assert api.get(f"/snapshots/finalized/{epoch}/verification").json()["acknowledgedBy"] == "auditor"
    assert "acknowledged by auditor" in staff.get(
        f"/admin/epochs/finalizedepochsnapshot/{snapshot.pk}/change/").content.decode()
    assert epochs_tick_task()["vaultRoots"] == [epoch]  # then it proceeds
    assert get_chain().vault_merkle_root(epoch) == snapshot.withdrawals_merkle_root


def test_the_vault_waits_for_a_report(db):
    chain = random_epoch(4, 8)
    close_window(chain, 4)
    with override_settings(VAULT_CONFIRM_WITHDRAWALS_ENABLED=False):
        assert epochs_tick_task()["finalizedSnapshot"] == 4
    EpochVerification.objects.all().delete()  # its verification not run yet
    assert vault_confirm() == []
    assert verification.verifications_catch_up() == [4]  # the tick queues it (run here: eager tasks)
    assert vault_confirm() == [4]


def test_the_endpoint_answers_clear_errors(api, db):
    chain = random_epoch(4, 9)
    response = api.get("/snapshots/finalized/4/verification")
    assert response.status_code == 400 and response.json() == {"message": "Given epoch is not valid."}
    assert api.get("/snapshots/finalized/x/verification").status_code == 400
    close_window(chain, 4)
    with override_settings(VAULT_CONFIRM_WITHDRAWALS_ENABLED=False):
        assert epochs_tick_task()["finalizedSnapshot"] == 4
    EpochVerification.objects.all().delete()
    response = api.get("/snapshots/finalized/4/verification")
    assert response.status_code == 409 and response.json() == {"message": "Epoch 4 has no verification report yet"}


def test_the_command_verifies_any_finalized_epoch(db, capsys):
    chain = random_epoch(2, 10)
    close_window(chain, 2)
    with override_settings(VAULT_CONFIRM_WITHDRAWALS_ENABLED=False):
        assert epochs_tick_task()["finalizedSnapshot"] == 2
    first = EpochVerification.objects.get(epoch=2).verified_at
    call_command("verify_epoch", "2")
    assert EpochVerification.objects.get(epoch=2).verified_at > first  # run again: replaced
    assert "epoch 2: passed" in capsys.readouterr().out
    with pytest.raises(Exception, match="not valid"):
        call_command("verify_epoch", "3")


def test_the_finalized_snapshot_queues_its_verification_on_commit(api, db, django_capture_on_commit_callbacks):
    chain = random_epoch(3, 11)
    close_window(chain, 3)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert api.post("/snapshots/finalized").status_code == 201
    assert not EpochVerification.objects.exists()  # nothing before the commit
    for callback in callbacks:
        callback()
    assert EpochVerification.objects.get(epoch=3).passed


def test_staff_without_the_permission_cannot_acknowledge(client, db, django_user_model):
    from django.contrib.auth.models import Permission

    chain = random_epoch(4, 12)
    close_window(chain, 4)
    with override_settings(VAULT_CONFIRM_WITHDRAWALS_ENABLED=False):
        epochs_tick_task()
    EpochVerification.objects.filter(epoch=4).update(passed=False)
    viewer = django_user_model.objects.create_user("viewer", "viewer@example.com", "pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_finalizedepochsnapshot"))
    client.force_login(viewer)
    snapshot = FinalizedEpochSnapshot.objects.get(epoch=4)
    assert "FAILED" in client.get(f"/admin/epochs/finalizedepochsnapshot/{snapshot.pk}/change/").content.decode()
    client.post("/admin/epochs/finalizedepochsnapshot/",
                {"action": "acknowledge_verification", "_selected_action": [snapshot.pk]})
    assert EpochVerification.objects.get(epoch=4).acknowledged_at is None
    assert vault_confirm() == []
