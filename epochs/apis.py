import secrets

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.permissions import BasePermission
from rest_framework.views import APIView

from octant.core.api import DecimalStringField, WeiField, decimal_string, parse_epoch
from octant.core.exceptions import (
    EpochNotStartedYet,
    EpochsNotFound,
    InvalidEpoch,
    NotInAllocationWindow,
    PendingSnapshotMissing,
)

from projects.selectors import project_addresses

from . import overview, selectors, services, snapshots
from .models import FinalizedEpochSnapshot, PendingEpochSnapshot

ESTIMATED_STAKING_APR = 0.038


class CurrentEpochApi(APIView):
    @extend_schema(responses=inline_serializer("CurrentEpoch", {"currentEpoch": serializers.IntegerField()}))
    def get(self, request):
        return Response({"currentEpoch": selectors.chain_view().current})


class IndexedEpochApi(APIView):
    @extend_schema(responses=inline_serializer("IndexedEpoch", {
        "currentEpoch": serializers.IntegerField(), "indexedEpoch": serializers.IntegerField()}))
    def get(self, request):
        services.epochs_index()  # a write on a GET, as the reference: it indexes what the chain started
        indexed = selectors.indexed_epoch()
        if not indexed:
            raise EpochsNotFound()
        return Response({"currentEpoch": selectors.chain_view().current, "indexedEpoch": indexed})


class RewardsRateApi(APIView):
    @extend_schema(responses=inline_serializer("RewardsRate", {"rewardsRate": serializers.FloatField()}))
    def get(self, request, epoch_number):
        if parse_epoch(epoch_number) <= 0:
            raise InvalidEpoch()
        return Response({"rewardsRate": ESTIMATED_STAKING_APR})


class SnapshotStatusApi(APIView):
    @extend_schema(responses=inline_serializer("SnapshotStatus", {
        "isCurrent": serializers.BooleanField(), "isPending": serializers.BooleanField(),
        "isFinalized": serializers.BooleanField()}))
    def get(self, request, epoch):
        epoch = parse_epoch(epoch, field="epoch")
        view = selectors.chain_view()
        status = {"isCurrent": False, "isPending": False, "isFinalized": False}
        if epoch <= view.finalized:
            status["isFinalized"] = FinalizedEpochSnapshot.objects.filter(epoch=epoch).exists()
        elif epoch > view.current:
            raise EpochNotStartedYet()
        elif epoch == view.current:
            status["isCurrent"] = True
        elif epoch == view.pending:
            status["isPending"] = PendingEpochSnapshot.objects.filter(epoch=epoch).exists()
        else:
            raise InvalidEpoch()
        return Response(status)


class SnapshotTrigger(BasePermission):
    """The snapshot triggers are open unless SNAPSHOT_TRIGGER_TOKEN is set; then they need it as a bearer token."""

    message = "A valid snapshot trigger token is required."

    def has_permission(self, request, view):
        token = settings.SNAPSHOT_TRIGGER_TOKEN
        return not token or secrets.compare_digest(request.headers.get("Authorization", "").encode(),
                                                   f"Bearer {token}".encode())


class PendingSnapshotApi(APIView):
    permission_classes = [SnapshotTrigger]
    @extend_schema(request=None, responses={201: inline_serializer("SnapshotTaken", {
        "epoch": serializers.IntegerField()}), 200: OpenApiResponse(description="nothing to do (body null)")})
    def post(self, request):
        epoch = snapshots.pending_snapshot_take()
        if epoch is None:
            return Response(None, status=200)
        return Response({"epoch": epoch}, status=201)


class PendingSnapshotSimulateApi(APIView):
    heavy = True  # octant.core.throttles.HeavyThrottle

    @extend_schema(responses=inline_serializer("PendingSnapshotSimulation", {
        "rewards": inline_serializer("SimulatedRewards", {
            "stakingProceeds": WeiField(), "lockedRatio": DecimalStringField(), "totalEffectiveDeposit": WeiField(),
            "totalRewards": WeiField(), "vanillaIndividualRewards": WeiField(), "operationalCost": WeiField(),
            "communityFund": WeiField(), "ppf": WeiField()}),
        "userDeposits": inline_serializer("SimulatedDeposit", {
            "userAddress": serializers.CharField(), "effectiveDeposit": WeiField(), "deposit": WeiField()},
            many=True),
        "userBudgets": inline_serializer("SimulatedBudget", {
            "userAddress": serializers.CharField(), "budget": WeiField()}, many=True)}))
    def get(self, request):
        data = snapshots.pending_snapshot_simulate()
        r = data.rewards
        return Response({
            "rewards": {
                "stakingProceeds": str(r.staking_proceeds), "lockedRatio": decimal_string(r.locked_ratio),
                "totalEffectiveDeposit": str(r.total_effective_deposit), "totalRewards": str(r.total_rewards),
                "vanillaIndividualRewards": str(r.vanilla_individual_rewards),
                "operationalCost": str(r.operational_cost), "communityFund": str(r.community_fund or 0),
                "ppf": str(r.ppf or 0),
            },
            "userDeposits": [{"userAddress": d.address, "effectiveDeposit": str(d.effective_deposit),
                              "deposit": str(d.locked)} for d in data.deposits],
            "userBudgets": [{"userAddress": a, "budget": str(b)} for a, b in data.budgets],
        })


class EpochInfoApi(APIView):
    @extend_schema(responses=inline_serializer("EpochInfo", {
        "epoch": serializers.IntegerField(), "stakingProceeds": WeiField(), "totalEffectiveDeposit": WeiField(),
        "totalRewards": WeiField(), "vanillaIndividualRewards": WeiField(), "operationalCost": WeiField(),
        "totalWithdrawals": WeiField(allow_null=True), "patronsRewards": WeiField(allow_null=True),
        "matchedRewards": WeiField(allow_null=True), "leftover": WeiField(allow_null=True, signed=True),
        "ppf": WeiField(allow_null=True), "communityFund": WeiField(allow_null=True),
        "donatedToProjects": WeiField(allow_null=True), "stakingMatchedReservedForV2": WeiField()}))
    def get(self, request, epoch_number):
        return Response(overview.epoch_info(epoch=parse_epoch(epoch_number)))


class FinalizedSnapshotApi(APIView):
    permission_classes = [SnapshotTrigger]
    @extend_schema(request=None, responses={201: inline_serializer("FinalizedSnapshotTaken", {
        "epoch": serializers.IntegerField()}), 200: OpenApiResponse(description="nothing to do (body null)")})
    def post(self, request):
        epoch = snapshots.finalized_snapshot_take()
        if epoch is None:
            return Response(None, status=200)
        return Response({"epoch": epoch}, status=201)


class FinalizedSnapshotSimulateApi(APIView):
    heavy = True  # octant.core.throttles.HeavyThrottle

    @extend_schema(responses=inline_serializer("FinalizedSnapshotSimulation", {
        "patronsRewards": WeiField(), "matchedRewards": WeiField(),
        "projectsRewards": inline_serializer("SimulatedProjectReward", {
            "address": serializers.CharField(), "amount": WeiField(), "matched": WeiField()}, many=True),
        "userRewards": inline_serializer("SimulatedUserReward", {
            "address": serializers.CharField(), "amount": WeiField()}, many=True),
        "totalWithdrawals": WeiField(), "leftover": WeiField(signed=True),
        "merkleRoot": serializers.CharField(allow_null=True), "stakingMatchedReservedForV2": WeiField()}))
    def get(self, request):
        view = selectors.chain_view()
        if view.pending is None:
            raise NotInAllocationWindow()
        if not PendingEpochSnapshot.objects.filter(epoch=view.pending).exists():
            raise PendingSnapshotMissing()
        result = snapshots.finalization_compute(epoch=view.pending, at=view.now, from_aggregates=True)
        position = {project: index for index, project in enumerate(project_addresses(epoch=view.pending))}
        leaves = sorted(result.project_leaves, key=lambda leaf: position.get(leaf[0], len(position)))
        return Response({
            "patronsRewards": str(result.patrons_rewards), "matchedRewards": str(result.matched_rewards),
            "projectsRewards": [{"address": a, "amount": str(amount), "matched": str(m)}
                                for a, amount, m in leaves],  # in the epoch's project-list order
            "userRewards": [{"address": a, "amount": str(amount)} for a, amount in result.user_rewards],
            "totalWithdrawals": str(result.total_withdrawals), "leftover": str(result.leftover),
            "merkleRoot": result.merkle_root,
            "stakingMatchedReservedForV2": str(result.staking_matched_reserved),
        })
