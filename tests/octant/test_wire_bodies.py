"""Whole bodies, byte for byte (keys, their order, strings and numbers, nulls), of the endpoints whose answers
their output serializers render (issue 12): each expected body is written out here from the selectors' plain
values, independently of the serializers."""
import json

from django.conf import settings
from django.test import override_settings

from allocations import selectors
from epochs.selectors import chain_view
from lifecycle import overview, snapshots
from octant.chain.backends import get_chain
from projects import selectors as projects_selectors

from tests.fixtures.chain import DURATION, START, WINDOW
from tests.fixtures.window import EPOCH, PROJECTS, USERS, sign

ALICE, BOB, CAROL = USERS
P1, P2, P3 = PROJECTS


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def wire(expected) -> bytes:
    return json.dumps(expected, separators=(",", ":"), ensure_ascii=False).encode()


def wei(value):
    return None if value is None else str(value)


def check(api, path, expected, status=200, method="get", data=None):
    response = getattr(api, method)(path, data, format="json") if method == "post" else api.get(path)
    assert response.status_code == status, (path, response.content)
    assert body(response) == wire(expected), path


def _allocate(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for account, allocations in ((ALICE, [(P1, 10**18), (P2, 0)]), (BOB, [(P2, 3 * 10**17), (P3, 12345)])):
            assert api.post("/allocations/allocate", sign(account, allocations, 0), format="json").status_code == 201


def _epoch_info(info: overview.EpochInfo) -> dict:
    return {"epoch": info.epoch, "stakingProceeds": wei(info.staking_proceeds),
            "totalEffectiveDeposit": wei(info.total_effective_deposit), "totalRewards": wei(info.total_rewards),
            "vanillaIndividualRewards": wei(info.vanilla_individual_rewards),
            "operationalCost": wei(info.operational_cost), "totalWithdrawals": wei(info.total_withdrawals),
            "patronsRewards": wei(info.patrons_rewards), "matchedRewards": wei(info.matched_rewards),
            "leftover": wei(info.leftover), "ppf": wei(info.ppf), "communityFund": wei(info.community_fund),
            "donatedToProjects": wei(info.donated_to_projects),
            "stakingMatchedReservedForV2": wei(info.staking_matched_reserved_for_v2)}


def test_allocation_bodies(api, window, django_capture_on_commit_callbacks):  # noqa: F811
    _allocate(api, django_capture_on_commit_callbacks)
    now = chain_view().now
    simulation = selectors.simulate_allocation(
        epoch=EPOCH, previous=[], new=[(P3, 1000)], uq=selectors.uq_for_simulation(epoch=EPOCH, address=CAROL.address),
        address=CAROL.address, matched=selectors.estimated_matched_rewards(epoch=EPOCH, now=now))
    check(api, f"/allocations/leverage/{CAROL.address}", {
        "leverage": str(simulation.leverage), "threshold": None,
        "matched": [{"address": r.address, "value": str(r.matched)} for r in simulation.rewards]},
        method="post", data={"allocations": [{"proposalAddress": P3, "amount": "1000"}]})
    check(api, f"/allocations/epoch/{EPOCH}", {"allocations": [
        {"donor": ALICE.address, "amount": str(10**18), "project": P1},
        {"donor": BOB.address, "amount": str(3 * 10**17), "project": P2},
        {"donor": BOB.address, "amount": "12345", "project": P3}]})
    check(api, f"/allocations/epoch/{EPOCH}?includeZeroAllocations=true", {"allocations": [
        {"donor": ALICE.address, "amount": str(10**18), "project": P1},
        {"donor": ALICE.address, "amount": "0", "project": P2},
        {"donor": BOB.address, "amount": str(3 * 10**17), "project": P2},
        {"donor": BOB.address, "amount": "12345", "project": P3}]})
    check(api, f"/allocations/user/{ALICE.address}/epoch/{EPOCH}", {
        "allocations": [{"address": P1, "amount": str(10**18)}, {"address": P2, "amount": "0"}],
        "isManuallyEdited": False})
    check(api, f"/allocations/user/{CAROL.address}/epoch/{EPOCH}", {"allocations": [], "isManuallyEdited": None})
    check(api, f"/allocations/project/{P2}/epoch/{EPOCH}", [
        {"address": ALICE.address, "amount": "0"}, {"address": BOB.address, "amount": str(3 * 10**17)}])
    check(api, f"/allocations/users/{ALICE.address}/allocation_nonce", {"allocationNonce": 1})
    check(api, f"/allocations/donors/{EPOCH}", {"donors": sorted([ALICE.address, BOB.address])})
    rewards = selectors.estimated_project_rewards(epoch=EPOCH, now=now).rewards
    assert [r.address for r in rewards] == PROJECTS and rewards[0].matched > 0
    check(api, "/rewards/projects/estimated", {"rewards": [
        {"address": r.address, "allocated": str(r.allocated), "matched": str(r.matched)} for r in rewards]})
    check(api, f"/rewards/threshold/{EPOCH}", {"threshold": None})
    check(api, f"/rewards/threshold/{EPOCH - 1}", {"threshold": "0"})
    leverage = selectors.epoch_leverage(epoch=EPOCH, now=now)
    assert isinstance(leverage, float) and leverage > 0
    check(api, f"/rewards/leverage/{EPOCH}", {"leverage": leverage})
    check(api, "/rewards/leverage/1", {"leverage": 0})  # the integer 0 without allocations, as the selector's


def test_epoch_bodies(api, window, django_capture_on_commit_callbacks):  # noqa: F811
    _allocate(api, django_capture_on_commit_callbacks)
    check(api, "/epochs/current", {"currentEpoch": EPOCH + 1})
    check(api, "/epochs/indexed", {"currentEpoch": EPOCH + 1, "indexedEpoch": EPOCH + 1})
    check(api, "/epochs/rewards-rate/1", {"rewardsRate": 0.038})
    check(api, f"/snapshots/status/{EPOCH}", {"isCurrent": False, "isPending": True, "isFinalized": False})
    check(api, f"/snapshots/status/{EPOCH + 1}", {"isCurrent": True, "isPending": False, "isFinalized": False})
    check(api, f"/snapshots/status/{EPOCH - 1}", {"isCurrent": False, "isPending": False, "isFinalized": False})

    data = snapshots.pending_snapshot_simulate(view=chain_view())
    r = data.rewards
    assert data.deposits and data.budgets
    check(api, "/snapshots/pending/simulate", {
        "rewards": {"stakingProceeds": str(r.staking_proceeds), "lockedRatio": str(r.locked_ratio),
                    "totalEffectiveDeposit": str(r.total_effective_deposit), "totalRewards": str(r.total_rewards),
                    "vanillaIndividualRewards": str(r.vanilla_individual_rewards),
                    "operationalCost": str(r.operational_cost), "communityFund": str(r.community_fund),
                    "ppf": str(r.ppf)},
        "userDeposits": [{"userAddress": d.address, "effectiveDeposit": str(d.effective_deposit),
                          "deposit": str(d.locked)} for d in data.deposits],
        "userBudgets": [{"userAddress": a, "budget": str(b)} for a, b in data.budgets]})

    for epoch in range(1, EPOCH + 3):  # finalized (no finalized snapshot yet), pending, current, future
        info = overview.epoch_info(epoch=epoch, view=chain_view())
        assert info.epoch == epoch
        check(api, f"/epochs/info/{epoch}", _epoch_info(info))
    assert _epoch_info(overview.epoch_info(epoch=EPOCH, view=chain_view()))["leftover"] is not None

    now = get_chain().epoch_view()[0]
    result = snapshots.finalization_compute(epoch=EPOCH, at=now)
    assert result.user_rewards and result.project_leaves
    check(api, "/snapshots/finalized/simulate", {
        "patronsRewards": str(result.patrons_rewards), "matchedRewards": str(result.matched_rewards),
        "projectsRewards": [{"address": a, "amount": str(amount), "matched": str(m)}
                            for a, amount, m in result.project_leaves],  # P1, P2, P3: the project-list order
        "userRewards": [{"address": a, "amount": str(amount)} for a, amount in result.user_rewards],
        "totalWithdrawals": str(result.total_withdrawals), "leftover": str(result.leftover),
        "merkleRoot": result.merkle_root, "stakingMatchedReservedForV2": str(result.staking_matched_reserved)})

    check(api, "/snapshots/finalized", {"epoch": EPOCH - 1}, status=201, method="post")
    check(api, "/snapshots/finalized", None, method="post")
    check(api, f"/snapshots/status/{EPOCH - 1}", {"isCurrent": False, "isPending": False, "isFinalized": True})
    check(api, f"/epochs/info/{EPOCH - 1}", _epoch_info(overview.epoch_info(epoch=EPOCH - 1, view=chain_view())))
    get_chain().set_time(timestamp=START + EPOCH * DURATION + WINDOW + 1)  # the window closed
    check(api, "/snapshots/finalized", {"epoch": EPOCH}, status=201, method="post")
    info = overview.epoch_info(epoch=EPOCH, view=chain_view())
    assert info.donated_to_projects and info.total_withdrawals
    check(api, f"/epochs/info/{EPOCH}", _epoch_info(info))


@override_settings(DEPLOYMENT_ID="deploy-1")
def test_info_project_and_glm_bodies(api, window):  # noqa: F811
    chain = get_chain()
    check(api, "/info/version", {"id": "deploy-1", "env": "dev", "chain": settings.CHAIN_NAME})
    check(api, "/info/chain-info", {"chainName": settings.CHAIN_NAME, "chainId": chain.chain_id(), "smartContracts": [
        {"name": name, "address": address} for name, address in chain.contract_addresses().items()]})
    check(api, "/info/sync-status", {
        "blockchainEpoch": EPOCH + 1, "indexedEpoch": EPOCH + 1, "blockchainHeight": chain.block_height(),
        "indexedHeight": chain.indexed_height(), "pendingSnapshot": "done", "finalizedSnapshot": "error"})
    cid = projects_selectors.projects_cid(epoch=EPOCH)  # the digest of the epoch's metadata (local chain)
    assert cid.startswith("bafkrei") and len(cid) == 59
    check(api, f"/projects/epoch/{EPOCH}", {"projectsAddresses": PROJECTS, "projectsCid": cid})
    check(api, "/projects/details?epochs=2,4&searchPhrases=0x22,0x1", {"projectsDetails": [
        {"name": "", "address": P2, "epoch": "2"}, {"name": "", "address": P1, "epoch": "2"},
        {"name": "", "address": P2, "epoch": "4"}, {"name": "", "address": P1, "epoch": "4"}]})


def test_healthcheck_and_sync_status_down_bodies(api, db, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("rpc down")

    monkeypatch.setattr(get_chain(), "health", broken)
    monkeypatch.setattr(get_chain(), "block_height", broken)
    expected = {"blockchain": "DOWN", "db": "UP", "subgraph": "DOWN"}
    if settings.REDIS_URL:
        expected["redis"] = "UP"
    check(api, "/info/healthcheck", expected, status=500)
    check(api, "/info/sync-status", {"blockchainEpoch": None, "indexedEpoch": None, "blockchainHeight": None,
                                     "indexedHeight": None, "pendingSnapshot": None, "finalizedSnapshot": None},
          status=500)
