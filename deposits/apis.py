"""The deposits group and the budgets part of the rewards group."""
from decimal import Decimal

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from epochs import budgets
from epochs import selectors as epoch_selectors
from epochs.models import PendingEpochSnapshot
from octant.core.exceptions import EffectiveDepositNotFound, InvalidEpoch
from octant.web.api import DecimalStringField, OutputSerializer, WeiStringField, parse_address, parse_epoch
from octant.web.http import json_list_response

from . import selectors

MAX_GLM = 10**27


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


class UpcomingBudgetOut(OutputSerializer):
    upcomingBudget = WeiStringField(source="upcoming_budget")


class EstimatedBudgetOut(OutputSerializer):
    budget = WeiStringField()
    matchedFunding = WeiStringField(source="matched_funding")


class EstimatedBudgetByDaysOut(OutputSerializer):
    budget = WeiStringField()


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
                                  cache=(f"budgets-{epoch}", selectors.budgets_state(epoch=epoch)))


class UpcomingBudgetApi(APIView):
    @extend_schema(responses=UpcomingBudgetOut)
    def get(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        return Response(UpcomingBudgetOut({"upcoming_budget": budgets.upcoming_budget(
            address=address, view=epoch_selectors.chain_view())}).data)


class GlmAmountInput(serializers.Serializer):
    glmAmount = WeiStringField()

    def validate_glmAmount(self, value):
        if value > MAX_GLM:
            raise serializers.ValidationError(f"Must be at most {MAX_GLM}.")
        return value


class EstimatedBudgetInput(GlmAmountInput):
    numberOfEpochs = serializers.IntegerField(min_value=1, max_value=10_000)


class EstimatedBudgetByDaysInput(GlmAmountInput):
    days = serializers.IntegerField(min_value=0, max_value=365_250)


class EstimatedBudgetApi(APIView):
    Input = EstimatedBudgetInput

    @extend_schema(request=Input, responses=EstimatedBudgetOut)
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        budget, matched = budgets.estimated_budget_by_epochs(
            epochs=data.validated_data["numberOfEpochs"], glm_amount=data.validated_data["glmAmount"],
            view=epoch_selectors.chain_view())
        return Response(EstimatedBudgetOut({"budget": budget, "matched_funding": matched}).data)


class EstimatedBudgetByDaysApi(APIView):
    Input = EstimatedBudgetByDaysInput

    @extend_schema(request=Input, responses=EstimatedBudgetByDaysOut)
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        budget = budgets.estimated_budget_by_days(days=data.validated_data["days"],
                                                   glm_amount=data.validated_data["glmAmount"],
                                                   view=epoch_selectors.chain_view())
        return Response(EstimatedBudgetByDaysOut({"budget": budget}).data)


class UserSablierStreamsApi(APIView):
    @extend_schema(responses=SablierStreamsOut)
    def get(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        return Response(SablierStreamsOut({"streams": selectors.sablier_streams(address=address)}).data)


class AllSablierStreamsApi(APIView):
    @extend_schema(responses=SablierStreamsOut)
    def get(self, request):
        return Response(SablierStreamsOut({"streams": selectors.sablier_streams()}).data)
