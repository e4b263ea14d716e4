from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from octant.core.http import json_list_response
from rest_framework.views import APIView

from epochs import selectors as epoch_selectors
from epochs.selectors import EpochState
from octant.core import signing_docs
from octant.core.api import DecimalStringField, WeiField, parse_address, parse_epoch
from octant.core.exceptions import AllocationWindowClosed, NotImplementedForGivenEpochState

from . import selectors, services

class AddressAmount(serializers.Serializer):
    address = serializers.CharField()
    amount = WeiField()


class ProjectRewardOut(serializers.Serializer):
    address = serializers.CharField()
    allocated = WeiField()
    matched = WeiField()


def _pending_epoch() -> int:
    epoch = epoch_selectors.chain_view().pending
    if epoch is None:
        raise AllocationWindowClosed()
    return epoch


class AllocateApi(APIView):
    @extend_schema(request=services.AllocateInput, responses={201: OpenApiResponse(description="`null`")},
                   description=signing_docs.ALLOCATE, examples=[signing_docs.ALLOCATE_EXAMPLE])
    def post(self, request):
        services.allocate_from_request(request.data)
        return Response(None, status=201)


class LeverageSimulationInput(serializers.Serializer):
    allocations = services.AllocationItemInput(many=True)


class LeverageSimulationApi(APIView):
    heavy = True  # octant.core.throttles.HeavyThrottle

    @extend_schema(request=LeverageSimulationInput, responses=inline_serializer("LeverageSimulation", {
        "leverage": DecimalStringField(), "threshold": WeiField(allow_null=True),
        "matched": inline_serializer("ProjectMatched", {"address": serializers.CharField(), "value": WeiField()},
                                     many=True)}))
    def post(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        epoch = _pending_epoch()
        if isinstance(request.data, dict):
            services.check_allocation_count(request.data.get("allocations"), epoch=epoch)
        body = LeverageSimulationInput(data=request.data)
        body.is_valid(raise_exception=True)
        new = [(a["proposalAddress"], a["amount"]) for a in body.validated_data["allocations"]]
        result = selectors.simulate_allocation(
            epoch=epoch, previous=selectors.user_live_allocations(epoch=epoch, address=address), new=new,
            uq=selectors.uq_for_simulation(epoch=epoch, address=address), address=address)
        return Response({
            "leverage": str(result.leverage),
            "threshold": None if result.threshold is None else str(result.threshold),
            "matched": [{"address": r.address, "value": str(r.matched)} for r in result.rewards],
        })


class EpochAllocationsApi(APIView):
    heavy = True  # octant.core.throttles.HeavyThrottle

    @extend_schema(
        parameters=[OpenApiParameter("includeZeroAllocations", bool, required=False)],
        responses=inline_serializer("EpochAllocations", {"allocations": inline_serializer("DonorAllocation", {
            "donor": serializers.CharField(), "amount": WeiField(), "project": serializers.CharField()}, many=True)}))
    def get(self, request, epoch_number):
        include_zero = request.query_params.get("includeZeroAllocations", "false").lower() in ("true", "1")
        chunks = selectors.epoch_allocations_chunks(epoch=parse_epoch(epoch_number), include_zero=include_zero)
        return json_list_response("allocations", chunks)


class UserAllocationsApi(APIView):
    @extend_schema(responses=inline_serializer("UserAllocations", {
        "allocations": AddressAmount(many=True), "isManuallyEdited": serializers.BooleanField(allow_null=True)}))
    def get(self, request, user_address, epoch_number):
        rows, edited = selectors.user_allocations(epoch=parse_epoch(epoch_number),
                                                  address=parse_address(user_address, field="userAddress"))
        return Response({"allocations": [{"address": p, "amount": str(a)} for p, a in rows],
                         "isManuallyEdited": edited})


class ProjectDonorsApi(APIView):
    @extend_schema(responses=AddressAmount(many=True))
    def get(self, request, project_address, epoch_number):
        rows = selectors.project_donors(epoch=parse_epoch(epoch_number),
                                        project=parse_address(project_address, field="projectAddress"))
        return Response([{"address": d, "amount": str(a)} for d, a in rows])


class AllocationNonceApi(APIView):
    @extend_schema(responses=inline_serializer("AllocationNonce", {"allocationNonce": serializers.IntegerField()}))
    def get(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        return Response({"allocationNonce": selectors.next_nonce(address=address)})


class DonorsApi(APIView):
    @extend_schema(responses=inline_serializer("Donors", {"donors": serializers.ListField(
        child=serializers.CharField())}))
    def get(self, request, epoch_number):
        return json_list_response("donors", selectors.donors_chunks(epoch=parse_epoch(epoch_number)))


class EstimatedProjectRewardsApi(APIView):
    @extend_schema(responses=inline_serializer("EstimatedProjectRewards", {"rewards": ProjectRewardOut(many=True)}))
    def get(self, request):
        view = epoch_selectors.chain_view()
        if view.pending is None:
            raise AllocationWindowClosed()
        result = selectors.estimated_project_rewards_shared(epoch=view.pending, now=view.now)
        return Response({"rewards": [{"address": r.address, "allocated": str(r.allocated), "matched": str(r.matched)}
                                     for r in result.rewards]})


class ThresholdApi(APIView):
    @extend_schema(responses=inline_serializer("Threshold", {"threshold": WeiField(allow_null=True)}))
    def get(self, request, epoch_number):
        threshold = selectors.epoch_threshold(epoch=parse_epoch(epoch_number))
        return Response({"threshold": None if threshold is None else str(threshold)})


class EpochLeverageApi(APIView):
    @extend_schema(responses=inline_serializer("EpochLeverage", {"leverage": serializers.FloatField()}))
    def get(self, request, epoch_number):
        epoch = parse_epoch(epoch_number)
        if epoch_selectors.epoch_state(epoch=epoch) > EpochState.PENDING:
            raise NotImplementedForGivenEpochState()
        return Response({"leverage": selectors.epoch_leverage(epoch=epoch)})
