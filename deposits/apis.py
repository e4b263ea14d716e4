"""The deposits group and the budgets part of the rewards group."""
from decimal import Decimal

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from epochs import budgets
from epochs import selectors as epoch_selectors
from epochs.models import PendingEpochSnapshot
from octant.core.api import DecimalStringField, WeiField, decimal_string, parse_address, parse_epoch
from octant.core.exceptions import EffectiveDepositNotFound, InvalidEpoch
from octant.core.http import json_list_response

from . import selectors

MAX_GLM = 10**27


def _pending_snapshot(epoch) -> PendingEpochSnapshot:
    snapshot = PendingEpochSnapshot.objects.filter(epoch=parse_epoch(epoch)).first()
    if snapshot is None:
        raise InvalidEpoch()
    return snapshot


class TotalEffectiveApi(APIView):
    @extend_schema(responses=inline_serializer("TotalEffective", {"totalEffective": WeiField()}))
    def get(self, request, epoch_number):
        return Response({"totalEffective": str(_pending_snapshot(epoch_number).total_effective_deposit)})


class TotalEffectiveEstimatedApi(APIView):
    @extend_schema(responses=inline_serializer("TotalEffectiveEstimated", {"totalEffective": WeiField()}))
    def get(self, request):
        return Response({"totalEffective": str(selectors.current_epoch_effective_deposits().total)})


class LockedRatioApi(APIView):
    @extend_schema(responses=inline_serializer("LockedRatio", {"lockedRatio": DecimalStringField()}))
    def get(self, request, epoch_number):
        return Response({"lockedRatio": decimal_string(Decimal(_pending_snapshot(epoch_number).locked_ratio))})


EffectiveDepositOut = inline_serializer("EffectiveDeposit", {"effectiveDeposit": WeiField()})


class EstimatedEffectiveDepositApi(APIView):
    @extend_schema(responses=EffectiveDepositOut)
    def get(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        return Response({"effectiveDeposit": str(selectors.current_epoch_effective_deposit(address=address))})


class UserEffectiveDepositApi(APIView):
    @extend_schema(responses=EffectiveDepositOut)
    def get(self, request, user_address, epoch_number):
        address = parse_address(user_address, field="userAddress")
        epoch = parse_epoch(epoch_number)
        if epoch == epoch_selectors.chain_view().current:
            return Response({"effectiveDeposit": str(selectors.current_epoch_effective_deposit(address=address))})
        row = selectors.stored_deposit(epoch=epoch, address=address)
        if row is None:
            raise EffectiveDepositNotFound(address, epoch)
        return Response({"effectiveDeposit": str(row.effective_deposit)})


class UserBudgetApi(APIView):
    @extend_schema(responses={200: inline_serializer("UserBudget", {"budget": WeiField()}),
                              204: OpenApiResponse(description="no budget")})
    def get(self, request, user_address, epoch_number):
        budget = selectors.budget_of(epoch=parse_epoch(epoch_number),
                                     address=parse_address(user_address, field="userAddress"))
        if budget is None:
            return Response(status=204)
        return Response({"budget": str(budget)})


class EpochBudgetsApi(APIView):
    heavy = True  # octant.core.throttles.HeavyThrottle

    @extend_schema(responses=inline_serializer("EpochBudgets", {"budgets": inline_serializer(
        "AddressBudget", {"address": serializers.CharField(), "amount": WeiField()}, many=True)}))
    def get(self, request, epoch_number):
        return json_list_response("budgets", selectors.budgets_chunks(epoch=parse_epoch(epoch_number)))


class UpcomingBudgetApi(APIView):
    @extend_schema(responses=inline_serializer("UpcomingBudget", {"upcomingBudget": WeiField()}))
    def get(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        return Response({"upcomingBudget": str(budgets.upcoming_budget(address=address))})


class GlmAmountInput(serializers.Serializer):
    glmAmount = WeiField()

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

    @extend_schema(request=Input, responses=inline_serializer("EstimatedBudget", {
        "budget": WeiField(), "matchedFunding": WeiField()}))
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        budget, matched = budgets.estimated_budget_by_epochs(
            epochs=data.validated_data["numberOfEpochs"], glm_amount=data.validated_data["glmAmount"])
        return Response({"budget": str(budget), "matchedFunding": str(matched)})


class EstimatedBudgetByDaysApi(APIView):
    Input = EstimatedBudgetByDaysInput

    @extend_schema(request=Input, responses=inline_serializer("EstimatedBudgetByDays", {"budget": WeiField()}))
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        budget = budgets.estimated_budget_by_days(days=data.validated_data["days"],
                                                   glm_amount=data.validated_data["glmAmount"])
        return Response({"budget": str(budget)})



_SABLIER_STREAMS = inline_serializer("SablierStreams", {"sablierStreams": inline_serializer("SablierStream", {
    "amount": WeiField(), "dateAvailableForWithdrawal": serializers.CharField(),
    "isCancelled": serializers.BooleanField(), "remainingAmount": WeiField(),
    "recipientAddress": serializers.CharField()}, many=True)})


class UserSablierStreamsApi(APIView):
    @extend_schema(responses=_SABLIER_STREAMS)
    def get(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        return Response({"sablierStreams": selectors.sablier_streams(address=address)})


class AllSablierStreamsApi(APIView):
    @extend_schema(responses=_SABLIER_STREAMS)
    def get(self, request):
        return Response({"sablierStreams": selectors.sablier_streams()})
