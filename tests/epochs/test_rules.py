"""Which rule set a deployment follows (docs/rewards.md §1.2, issue 13): mainnet history on chain 1,
today's rules for every epoch elsewhere, either forced by EPOCH_RULES; the setting reaches the snapshots,
the estimates and /epochs/info."""
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from epochs.models import PendingEpochSnapshot
from epochs.rules import epoch_rules
from rewards import engine as rewards_engine
from rewards.variants import CURRENT_RULES, MAINNET_HISTORY

from tests.fixtures.chain import DURATION, START
from tests.fixtures.locks import A, command


@pytest.mark.parametrize("chain_id, name, history", [
    (1, "", True), (1337, "", False), (11155111, "", False), (1337, "mainnet", True), (1, "current", False),
    (1, " Current ", False)])
def test_rule_set_follows_chain_id_unless_forced(chain_id, name, history):
    with override_settings(CHAIN_ID=chain_id, EPOCH_RULES=name, EXACT_REWARDS_FROM_EPOCH=None):
        assert epoch_rules() == (MAINNET_HISTORY if history else CURRENT_RULES)


def test_exact_mode_from_a_configured_epoch():
    with override_settings(EPOCH_RULES="current", EXACT_REWARDS_FROM_EPOCH=7):
        rules = epoch_rules()
    assert [rules[first].exact for first in sorted(rules)] == [False, True, True]
    for bad in ({"EPOCH_RULES": "testnet"}, {"EXACT_REWARDS_FROM_EPOCH": 0}):
        with override_settings(**bad), pytest.raises(ImproperlyConfigured):
            epoch_rules()


@override_settings(EPOCH_RULES="")  # the default off mainnet: today's rules
def test_epoch_one_on_a_local_chain_follows_todays_rules(api, two_epochs):  # noqa: F811
    body = api.get("/epochs/info/1").json()
    assert body["ppf"] is not None and body["communityFund"] is not None
    assert int(body["operationalCost"]) == int(body["stakingProceeds"]) // 4  # 25 %, not epoch 1's 20 %
    upcoming_today = int(api.get(f"/rewards/budget/{A}/upcoming").json()["upcomingBudget"])
    with override_settings(EPOCH_RULES="mainnet"):
        history = api.get("/epochs/info/1").json()
        upcoming_history = int(api.get(f"/rewards/budget/{A}/upcoming").json()["upcomingBudget"])
    assert history["ppf"] is None and history["communityFund"] is None
    assert upcoming_today > 5 * upcoming_history > 0  # v2's rules give much larger budgets than epoch 1's

    command("time", "--set", START + DURATION + 1)
    assert api.post("/snapshots/pending").status_code == 201
    snapshot = PendingEpochSnapshot.objects.get(epoch=1)
    rewards = rewards_engine.octant_rewards(1, staking_proceeds=snapshot.eth_proceeds,
                                            total_effective_deposit=snapshot.total_effective_deposit,
                                            rules=CURRENT_RULES)
    assert (snapshot.ppf, snapshot.community_fund, snapshot.operational_cost) == (
        rewards.ppf, rewards.community_fund, rewards.operational_cost)
    body = api.get("/epochs/info/1").json()
    assert body["ppf"] == str(rewards.ppf) and body["communityFund"] == str(rewards.community_fund)
    budgets = api.get("/rewards/budgets/epoch/1").json()["budgets"]
    assert budgets and all(int(b["amount"]) > 0 for b in budgets)
