"""The deposits group, the stored budgets of the rewards group, the Sablier streams and an epoch's patrons."""
from decimal import Decimal

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from epochs import selectors as epoch_selectors
from epochs.models import PendingEpochSnapshot
from octant.core.exceptions import EffectiveDepositNotFound, EpochNotIndexed, InvalidEpoch
from octant.web.api import DecimalStringField, OutputSerializer, WeiStringField, parse_address, parse_epoch
from octant.web.http import json_list_response

from . import selectors


def _pending_snapshot(epoch) -> PendingEpochSnapshot:
    snapshot = PendingEpochSnapshot.objects.filter(epoch=parse_epoch(epoch)).first()
    if snapshot is None:
        raise InvalidEpoch()
    return snapshot


class TotalEffectiveOut(OutputSerializer):
    totalEffective = WeiStringField(source="total_effective")


class LockedRatioOut(OutputSerializer):
    lockedRatio = DecimalStringField(source="locked_ratio")


class EffectiveDepositOut(OutputSerializer):
    effectiveDeposit = WeiStringField(source="effective_deposit")


class UserBudgetOut(OutputSerializer):
    budget = WeiStringField()


class AddressBudgetOut(OutputSerializer):  # a row of EpochBudgetsOut, rendered by budget_row (streamed)
    address = serializers.CharField()
    amount = WeiStringField()


def budget_row(address: str, amount: int) -> dict:
    """`AddressBudgetOut(...).data` without a serializer per row (up to a million rows are streamed);
    tests/deposits/test_deposits_wire.py checks that both render the same."""
    return {"address": address, "amount": str(amount)}


class EpochBudgetsOut(OutputSerializer):  # documents EpochBudgetsApi's streamed answer
    budgets = AddressBudgetOut(many=True)


class SablierStreamOut(OutputSerializer):
    amount = WeiStringField()
    dateAvailableForWithdrawal = serializers.CharField(source="end_time")
    isCancelled = serializers.BooleanField(source="cancelled")
    remainingAmount = WeiStringField(source="remaining_amount")
    recipientAddress = serializers.CharField(source="recipient")


class SablierStreamsOut(OutputSerializer):
    sablierStreams = SablierStreamOut(many=True, source="streams")


class TotalEffectiveApi(APIView):
    @extend_schema(responses=TotalEffectiveOut)
    def get(self, request, epoch_number):
        snapshot = _pending_snapshot(epoch_number)
        return Response(TotalEffectiveOut({"total_effective": snapshot.total_effective_deposit}).data)


class TotalEffectiveEstimatedApi(APIView):
    @extend_schema(responses=TotalEffectiveOut)
    def get(self, request):
        total = selectors.current_epoch_effective_deposits(view=epoch_selectors.chain_view()).total
        return Response(TotalEffectiveOut({"total_effective": total}).data)


class LockedRatioApi(APIView):
    @extend_schema(responses=LockedRatioOut)
    def get(self, request, epoch_number):
        ratio = Decimal(_pending_snapshot(epoch_number).locked_ratio)  # stored as a decimal string
        return Response(LockedRatioOut({"locked_ratio": ratio}).data)


class EstimatedEffectiveDepositApi(APIView):
    @extend_schema(responses=EffectiveDepositOut)
    def get(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        deposit = selectors.current_epoch_effective_deposit(address=address, view=epoch_selectors.chain_view())
        return Response(EffectiveDepositOut({"effective_deposit": deposit}).data)


class UserEffectiveDepositApi(APIView):
    @extend_schema(responses=EffectiveDepositOut)
    def get(self, request, user_address, epoch_number):
        address = parse_address(user_address, field="userAddress")
        epoch = parse_epoch(epoch_number)
        view = epoch_selectors.chain_view()
        if epoch == view.current:
            deposit = selectors.current_epoch_effective_deposit(address=address, view=view)
            return Response(EffectiveDepositOut({"effective_deposit": deposit}).data)
        row = selectors.stored_deposit(epoch=epoch, address=address)
        if row is None:
            raise EffectiveDepositNotFound(address, epoch)
        return Response(EffectiveDepositOut(row).data)


class UserBudgetApi(APIView):
    @extend_schema(responses={200: UserBudgetOut, 204: OpenApiResponse(description="no budget")})
    def get(self, request, user_address, epoch_number):
        budget = selectors.budget_of(epoch=parse_epoch(epoch_number),
                                     address=parse_address(user_address, field="userAddress"))
        if budget is None:
            return Response(status=204)
        return Response(UserBudgetOut({"budget": budget}).data)


class EpochBudgetsApi(APIView):
    heavy = True  # octant.web.throttles.HeavyThrottle

    @extend_schema(responses=EpochBudgetsOut)
    def get(self, request, epoch_number):
        epoch = parse_epoch(epoch_number)
        chunks = selectors.budgets_chunks(epoch=epoch)
        return json_list_response("budgets", ([budget_row(*row) for row in chunk] for chunk in chunks),
                                  cache=(f"budgets-{epoch}", selectors.budgets_version(epoch=epoch)))


class UserSablierStreamsApi(APIView):
    @extend_schema(responses=SablierStreamsOut)
    def get(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        return Response(SablierStreamsOut({"streams": selectors.sablier_streams(address=address)}).data)


class AllSablierStreamsApi(APIView):
    @extend_schema(responses=SablierStreamsOut)
    def get(self, request):
        return Response(SablierStreamsOut({"streams": selectors.sablier_streams()}).data)


def _indexed_epoch(value) -> int:
    epoch = parse_epoch(value)
    if epoch > epoch_selectors.chain_view().current:
        raise EpochNotIndexed(epoch)
    return epoch


class EpochPatronsOut(OutputSerializer):
    patrons = serializers.ListField(child=serializers.CharField())


class EpochPatronsApi(APIView):
    @extend_schema(responses=EpochPatronsOut)
    def get(self, request, epoch_number):
        patrons = selectors.epoch_patrons(epoch=_indexed_epoch(epoch_number))
        return Response(EpochPatronsOut({"patrons": patrons}).data)
