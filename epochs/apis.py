from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from octant.core.exceptions import EpochNotStartedYet, EpochsNotFound, InvalidEpoch
from octant.web.api import OutputSerializer, parse_epoch

from . import selectors, services
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
