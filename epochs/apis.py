import secrets

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.permissions import BasePermission
from rest_framework.views import APIView

from octant.core.exceptions import (
    EpochNotStartedYet,
    EpochsNotFound,
    InvalidEpoch,
    NotInAllocationWindow,
    PendingSnapshotMissing,
)
from octant.web.api import DecimalStringField, OutputSerializer, WeiStringField, parse_epoch
from octant.web.http import kept_json_response

from projects.selectors import project_addresses

from . import overview, selectors, services, snapshots
from .models import FinalizedEpochSnapshot, PendingEpochSnapshot

ESTIMATED_STAKING_APR = 0.038


class CurrentEpoch(OutputSerializer):
    currentEpoch = serializers.IntegerField(source="current_epoch")


class CurrentEpochApi(APIView):
    @extend_schema(responses=CurrentEpoch)
    def get(self, request):
        return Response(CurrentEpoch({"current_epoch": selectors.chain_view().current}).data)


class IndexedEpoch(OutputSerializer):
    currentEpoch = serializers.IntegerField(source="current_epoch")
    indexedEpoch = serializers.IntegerField(source="indexed_epoch")


class IndexedEpochApi(APIView):
    @extend_schema(responses=IndexedEpoch)
    def get(self, request):
        view = selectors.chain_view()
        services.epochs_index(view=view)  # a write on a GET, as the reference: it indexes what the chain started
        indexed = selectors.indexed_epoch()
        if not indexed:
            raise EpochsNotFound()
        return Response(IndexedEpoch({"current_epoch": view.current, "indexed_epoch": indexed}).data)


class RewardsRate(OutputSerializer):
    rewardsRate = serializers.FloatField(source="rewards_rate")


class RewardsRateApi(APIView):
    @extend_schema(responses=RewardsRate)
    def get(self, request, epoch_number):
        if parse_epoch(epoch_number) <= 0:
            raise InvalidEpoch()
        return Response(RewardsRate({"rewards_rate": ESTIMATED_STAKING_APR}).data)


class SnapshotStatus(OutputSerializer):
    isCurrent = serializers.BooleanField(source="is_current")
    isPending = serializers.BooleanField(source="is_pending")
    isFinalized = serializers.BooleanField(source="is_finalized")


class SnapshotStatusApi(APIView):
    @extend_schema(responses=SnapshotStatus)
    def get(self, request, epoch):
        epoch = parse_epoch(epoch, field="epoch")
        view = selectors.chain_view()
        status = {"is_current": False, "is_pending": False, "is_finalized": False}
        if epoch <= view.finalized:
            status["is_finalized"] = FinalizedEpochSnapshot.objects.filter(epoch=epoch).exists()
        elif epoch > view.current:
            raise EpochNotStartedYet()
        elif epoch == view.current:
            status["is_current"] = True
        elif epoch == view.pending:
            status["is_pending"] = PendingEpochSnapshot.objects.filter(epoch=epoch).exists()
        else:
            raise InvalidEpoch()
        return Response(SnapshotStatus(status).data)


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


# An `epochs.engine.OctantRewards`.
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


# An `epochs.snapshots.PendingSnapshotData`, its budgets as {"address", "amount"}.
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


# An `epochs.overview.EpochInfo`.
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


# An `epochs.snapshots.Finalization`, its rows as dicts (projects in the epoch's project-list order).
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
                                  state=snapshots.simulation_state(epoch=view.pending, now=view.now))
