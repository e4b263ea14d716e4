from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from octant.core.api import parse_epoch
from octant.core.exceptions import EpochNotStartedYet, EpochsNotFound, InvalidEpoch

from . import selectors
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
