"""The composition layer's endpoints: the snapshots (taken and simulated), the epoch overview
(`/epochs/info`), the budget estimates and a user's history. Each reads or writes through the modules beside
it, which combine the apps."""
import secrets

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from epochs import selectors, services
from epochs.models import PendingEpochSnapshot
from octant.core.exceptions import NotInAllocationWindow, PendingSnapshotMissing
from octant.web.api import (DecimalStringField, IntegerInputField, OutputSerializer, WeiStringField, parse_address,
                            parse_epoch)
from octant.web.http import kept_json_response
from projects.selectors import project_addresses
from withdrawals.selectors import epoch_verification

from . import budgets, history, overview, snapshots


# --- the snapshots and the epoch overview --------------------------------------------------------------


class SnapshotTrigger(BasePermission):
    """The snapshot triggers are open unless SNAPSHOT_TRIGGER_TOKEN is set; then they need it as a bearer token."""

    message = "A valid snapshot trigger token is required."

    def has_permission(self, request, view):
        token = settings.SNAPSHOT_TRIGGER_TOKEN
        return not token or secrets.compare_digest(request.headers.get("Authorization", "").encode(),
                                                   f"Bearer {token}".encode())


class SnapshotTaken(OutputSerializer):
    epoch = serializers.IntegerField()


class PendingSnapshotApi(APIView):
    permission_classes = [SnapshotTrigger]

    @extend_schema(request=None, responses={
        201: SnapshotTaken, 200: OpenApiResponse(description="nothing to do (body null)")})
    def post(self, request):
        view = selectors.chain_view()
        services.epochs_index(view=view)
        epoch = snapshots.pending_snapshot_take(view=view)
        if epoch is None:
            return Response(None, status=200)
        return Response(SnapshotTaken({"epoch": epoch}).data, status=201)


class WeiOrZeroField(WeiStringField):
    """A wei amount that the epoch may not have (None before epoch 3), sent as "0" then."""

    def get_attribute(self, instance):
        value = super().get_attribute(instance)
        return 0 if value is None else value


# A `rewards.engine.OctantRewards`.
class SimulatedRewards(OutputSerializer):
    stakingProceeds = WeiStringField(source="staking_proceeds")
    lockedRatio = DecimalStringField(source="locked_ratio")
    totalEffectiveDeposit = WeiStringField(source="total_effective_deposit")
    totalRewards = WeiStringField(source="total_rewards")
    vanillaIndividualRewards = WeiStringField(source="vanilla_individual_rewards")
    operationalCost = WeiStringField(source="operational_cost")
    communityFund = WeiOrZeroField(source="community_fund")
    ppf = WeiOrZeroField()


# A `deposits.engine.UserDeposit` (every locker of the epoch: rendered by a plain function).
class SimulatedDeposit(OutputSerializer):
    userAddress = serializers.CharField(source="address")
    effectiveDeposit = WeiStringField(source="effective_deposit")
    deposit = WeiStringField(source="locked")

    def to_representation(self, deposit):
        return {"userAddress": deposit.address, "effectiveDeposit": str(deposit.effective_deposit),
                "deposit": str(deposit.locked)}


# An {"address", "amount"} budget (every budget of the epoch: rendered by a plain function).
class SimulatedBudget(OutputSerializer):
    userAddress = serializers.CharField(source="address")
    budget = WeiStringField(source="amount")

    def to_representation(self, budget):
        return {"userAddress": budget["address"], "budget": str(budget["amount"])}


# A `lifecycle.snapshots.PendingSnapshotData`, its budgets as {"address", "amount"}.
class PendingSnapshotSimulation(OutputSerializer):
    rewards = SimulatedRewards()
    userDeposits = SimulatedDeposit(many=True, source="deposits")
    userBudgets = SimulatedBudget(many=True, source="budgets")


class PendingSnapshotSimulateApi(APIView):
    heavy = True  # octant.web.throttles.HeavyThrottle

    @extend_schema(responses=PendingSnapshotSimulation)
    def get(self, request):
        data = snapshots.pending_snapshot_simulate(view=selectors.chain_view())
        return Response(PendingSnapshotSimulation({
            "rewards": data.rewards, "deposits": data.deposits,
            "budgets": [{"address": address, "amount": amount} for address, amount in data.budgets]}).data)


# A `lifecycle.overview.EpochInfo`.
class EpochInfo(OutputSerializer):
    epoch = serializers.IntegerField()
    stakingProceeds = WeiStringField(source="staking_proceeds")
    totalEffectiveDeposit = WeiStringField(source="total_effective_deposit")
    totalRewards = WeiStringField(source="total_rewards")
    vanillaIndividualRewards = WeiStringField(source="vanilla_individual_rewards")
    operationalCost = WeiStringField(source="operational_cost")
    totalWithdrawals = WeiStringField(allow_null=True, source="total_withdrawals")
    patronsRewards = WeiStringField(allow_null=True, source="patrons_rewards")
    matchedRewards = WeiStringField(allow_null=True, source="matched_rewards")
    leftover = WeiStringField(allow_null=True, signed=True)
    ppf = WeiStringField(allow_null=True)
    communityFund = WeiStringField(allow_null=True, source="community_fund")
    donatedToProjects = WeiStringField(allow_null=True, source="donated_to_projects")
    stakingMatchedReservedForV2 = WeiStringField(source="staking_matched_reserved_for_v2")


class EpochInfoApi(APIView):
    @extend_schema(responses=EpochInfo)
    def get(self, request, epoch_number):
        info = overview.epoch_info(epoch=parse_epoch(epoch_number), view=selectors.chain_view())
        return Response(EpochInfo(info).data)


class FinalizedSnapshotTaken(OutputSerializer):
    epoch = serializers.IntegerField()


class FinalizedSnapshotApi(APIView):
    permission_classes = [SnapshotTrigger]

    @extend_schema(request=None, responses={
        201: FinalizedSnapshotTaken, 200: OpenApiResponse(description="nothing to do (body null)")})
    def post(self, request):
        view = selectors.chain_view()
        services.epochs_index(view=view)
        epoch = snapshots.finalized_snapshot_take(view=view)
        if epoch is None:
            return Response(None, status=200)
        return Response(FinalizedSnapshotTaken({"epoch": epoch}).data, status=201)


# One check of a verification report (docs/lifecycle.md §1.9): amounts are wei as decimal strings.
class VerificationCheck(OutputSerializer):
    name = serializers.CharField()
    expected = serializers.CharField()
    actual = serializers.CharField()
    margin = serializers.CharField(help_text="the largest |expected - actual| that passes, in wei (0: equal)")
    passed = serializers.BooleanField()
    detail = serializers.CharField(help_text="what differs, or why there is a margin")


# A `withdrawals.models.EpochVerification`.
class FinalizedSnapshotVerification(OutputSerializer):
    epoch = serializers.IntegerField()
    passed = serializers.BooleanField()
    exact = serializers.BooleanField(help_text="exact rewards mode: every margin is 0")
    verifiedAt = serializers.DateTimeField(source="verified_at")
    acknowledgedBy = serializers.SerializerMethodField(help_text="the staff user who let a failed report "
                                                                 "through to the Vault")
    acknowledgedAt = serializers.DateTimeField(source="acknowledged_at", allow_null=True)
    checks = VerificationCheck(many=True)

    def get_acknowledgedBy(self, report) -> str | None:
        return report.acknowledged_by or None


class FinalizedSnapshotVerificationApi(APIView):
    @extend_schema(responses=FinalizedSnapshotVerification, description=(
        "The report of the finalized epoch recomputed by itself from its stored inputs: 400 before the epoch is "
        "finalized, 409 while its verification has not run yet. A failed report keeps the epoch's merkle root "
        "off the Vault until staff acknowledge it."))
    def get(self, request, epoch):
        report = epoch_verification(epoch=parse_epoch(epoch, field="epoch"))
        return Response(FinalizedSnapshotVerification(report).data)


# A project paid out: {"address", "amount" (allocated + matched), "matched"}.
class SimulatedProjectReward(OutputSerializer):
    address = serializers.CharField()
    amount = WeiStringField()
    matched = WeiStringField()


# An {"address", "amount"} claimed reward (every donor's: rendered by a plain function).
class SimulatedUserReward(OutputSerializer):
    address = serializers.CharField()
    amount = WeiStringField()

    def to_representation(self, reward):
        return {"address": reward["address"], "amount": str(reward["amount"])}


# A `lifecycle.snapshots.Finalization`, its rows as dicts (projects in the epoch's project-list order).
class FinalizedSnapshotSimulation(OutputSerializer):
    patronsRewards = WeiStringField(source="patrons_rewards")
    matchedRewards = WeiStringField(source="matched_rewards")
    projectsRewards = SimulatedProjectReward(many=True, source="projects_rewards")
    userRewards = SimulatedUserReward(many=True, source="user_rewards")
    totalWithdrawals = WeiStringField(source="total_withdrawals")
    leftover = WeiStringField(signed=True)
    merkleRoot = serializers.CharField(allow_null=True, source="merkle_root")
    stakingMatchedReservedForV2 = WeiStringField(source="staking_matched_reserved")


class FinalizedSnapshotSimulateApi(APIView):
    heavy = True  # octant.web.throttles.HeavyThrottle

    @extend_schema(responses=FinalizedSnapshotSimulation)
    def get(self, request):
        view = selectors.chain_view()
        if view.pending is None:
            raise NotInAllocationWindow()
        if not PendingEpochSnapshot.objects.filter(epoch=view.pending).exists():
            raise PendingSnapshotMissing()

        def build():
            result = snapshots.finalization_compute(epoch=view.pending, at=view.now, from_aggregates=True)
            position = {project: index for index, project in enumerate(project_addresses(epoch=view.pending))}
            leaves = sorted(result.project_leaves, key=lambda leaf: position.get(leaf[0], len(position)))
            return FinalizedSnapshotSimulation({
                "patrons_rewards": result.patrons_rewards, "matched_rewards": result.matched_rewards,
                "projects_rewards": [{"address": address, "amount": amount, "matched": matched}
                                     for address, amount, matched in leaves],
                "user_rewards": [{"address": address, "amount": amount} for address, amount in result.user_rewards],
                "total_withdrawals": result.total_withdrawals, "leftover": result.leftover,
                "merkle_root": result.merkle_root, "staking_matched_reserved": result.staking_matched_reserved,
            }).data

        # The same state (allocations, donors' totals, patrons so far) gives the same simulation, merkle tree
        # included: kept as a file per state.
        return kept_json_response(name=f"finalized-simulation-{view.pending}", build=build,
                                  state=snapshots.simulation_version(epoch=view.pending, now=view.now))


# --- the budget estimates ------------------------------------------------------------------------------


class UpcomingBudgetOut(OutputSerializer):
    upcomingBudget = WeiStringField(source="upcoming_budget")


class EstimatedBudgetOut(OutputSerializer):
    budget = WeiStringField()
    matchedFunding = WeiStringField(source="matched_funding")


class EstimatedBudgetByDaysOut(OutputSerializer):
    budget = WeiStringField()


class UpcomingBudgetApi(APIView):
    @extend_schema(responses=UpcomingBudgetOut)
    def get(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        return Response(UpcomingBudgetOut({"upcoming_budget": budgets.upcoming_budget(
            address=address, view=selectors.chain_view())}).data)


MAX_GLM = 10**27


class GlmAmountInput(serializers.Serializer):
    glmAmount = WeiStringField(max_value=MAX_GLM)


class EstimatedBudgetInput(GlmAmountInput):
    numberOfEpochs = IntegerInputField(min_value=1, max_value=10_000)


class EstimatedBudgetByDaysInput(GlmAmountInput):
    days = IntegerInputField(min_value=1, max_value=365_250)


class EstimatedBudgetApi(APIView):
    Input = EstimatedBudgetInput

    @extend_schema(request=Input, responses=EstimatedBudgetOut)
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        budget, matched = budgets.estimated_budget_by_epochs(
            epochs=data.validated_data["numberOfEpochs"], glm_amount=data.validated_data["glmAmount"],
            view=selectors.chain_view())
        return Response(EstimatedBudgetOut({"budget": budget, "matched_funding": matched}).data)


class EstimatedBudgetByDaysApi(APIView):
    Input = EstimatedBudgetByDaysInput

    @extend_schema(request=Input, responses=EstimatedBudgetByDaysOut)
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        budget = budgets.estimated_budget_by_days(days=data.validated_data["days"],
                                                   glm_amount=data.validated_data["glmAmount"],
                                                   view=selectors.chain_view())
        return Response(EstimatedBudgetByDaysOut({"budget": budget}).data)


# --- a user's history ----------------------------------------------------------------------------------


class HistoryQuery(serializers.Serializer):
    cursor = serializers.CharField(required=False, allow_blank=True)
    limit = IntegerInputField(required=False, min_value=1, default=history.MAX_PAGE)


class HistoryAllocationOut(OutputSerializer):
    projectAddress = serializers.CharField(source="project_address")
    amount = WeiStringField()


class HistoryEventDataOut(OutputSerializer):
    amount = WeiStringField(allow_null=True)
    transactionHash = serializers.CharField(source="transaction_hash", allow_null=True)
    epoch = serializers.IntegerField(allow_null=True)
    isManuallyEdited = serializers.BooleanField(source="is_manually_edited", allow_null=True)
    leverage = serializers.CharField(allow_null=True)
    allocations = HistoryAllocationOut(many=True, allow_null=True)


class HistoryItemOut(OutputSerializer):  # a lifecycle.history.HistoryItem: the rest under eventData
    type = serializers.CharField(source="kind")
    timestamp = serializers.CharField()
    eventData = HistoryEventDataOut(source="*")


class HistoryOut(OutputSerializer):
    history = HistoryItemOut(many=True, source="items")
    nextCursor = serializers.CharField(source="next_cursor", allow_null=True)


class HistoryApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("cursor", str, required=False, description="the `nextCursor` of the page "
                                     "before (an opaque text: one the server did not give is refused)"),
                    OpenApiParameter("limit", {"type": "integer", "minimum": 1}, required=False)],
        responses=HistoryOut)
    def get(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        query = HistoryQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        page, next_cursor = history.history(address=address, cursor=query.validated_data.get("cursor") or None,
                                              limit=query.validated_data["limit"])
        return Response(HistoryOut({"items": page, "next_cursor": next_cursor}).data)
