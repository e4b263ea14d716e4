from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from allocations import selectors as allocation_selectors
from allocations import services as allocation_services
from deposits import selectors as deposit_selectors
from epochs import history
from epochs.selectors import chain_view
from octant.core import signing_docs
from octant.core.api import DecimalStringField, WeiField, client_ip, parse_address, parse_epoch
from octant.core.exceptions import EpochNotIndexed

from . import selectors, services


class HistoryQuery(serializers.Serializer):
    cursor = serializers.CharField(required=False, allow_blank=True)
    limit = serializers.IntegerField(required=False, min_value=1, default=history.MAX_PAGE)


class HistoryApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("cursor", str, required=False), OpenApiParameter("limit", int, required=False)],
        responses=inline_serializer("History", {
            "history": inline_serializer("HistoryItem", {
                "type": serializers.CharField(), "timestamp": serializers.CharField(),
                "eventData": inline_serializer("HistoryEventData", {
                    "amount": WeiField(allow_null=True), "transactionHash": serializers.CharField(allow_null=True),
                    "epoch": serializers.IntegerField(allow_null=True),
                    "isManuallyEdited": serializers.BooleanField(allow_null=True),
                    "leverage": serializers.CharField(allow_null=True),
                    "allocations": inline_serializer("HistoryAllocation", {
                        "projectAddress": serializers.CharField(), "amount": WeiField()}, many=True, allow_null=True),
                })}, many=True),
            "nextCursor": serializers.CharField(allow_null=True)}))
    def get(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        query = HistoryQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        page, next_cursor = history.history(address=address, cursor=query.validated_data.get("cursor") or None,
                                              limit=query.validated_data["limit"])
        return Response({"history": page, "nextCursor": next_cursor})


class SignatureInput(serializers.Serializer):
    signature = serializers.CharField(max_length=10_000)


class TosApi(APIView):
    @extend_schema(responses=inline_serializer("TosStatus", {"accepted": serializers.BooleanField()}))
    def get(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        return Response({"accepted": selectors.has_accepted_tos(address=address)})

    @extend_schema(request=SignatureInput, responses={201: inline_serializer("TosAccepted", {
        "accepted": serializers.BooleanField()})}, description=signing_docs.TOS, examples=[signing_docs.TOS_EXAMPLE])
    def post(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        body = SignatureInput(data=request.data)
        body.is_valid(raise_exception=True)
        services.tos_accept(address=address, signature=body.validated_data["signature"], ip=client_ip(request))
        return Response({"accepted": True}, status=201)


class PatronModeApi(APIView):
    @extend_schema(responses=inline_serializer("PatronMode", {"status": serializers.BooleanField()}))
    def get(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        return Response({"status": selectors.is_patron(address=address)})

    @extend_schema(request=SignatureInput, responses=inline_serializer("PatronModeToggled", {
        "status": serializers.BooleanField()}), description=signing_docs.PATRON_MODE,
        examples=[signing_docs.PATRON_MODE_EXAMPLE])
    def patch(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        body = SignatureInput(data=request.data)
        body.is_valid(raise_exception=True)
        return Response({"status": allocation_services.patron_mode_toggle(
            address=address, signature=body.validated_data["signature"])})


def _indexed_epoch(value) -> int:
    epoch = parse_epoch(value)
    if epoch > chain_view().current:
        raise EpochNotIndexed(epoch)
    return epoch


class EpochPatronsApi(APIView):
    @extend_schema(responses=inline_serializer("EpochPatrons", {"patrons": serializers.ListField(
        child=serializers.CharField())}))
    def get(self, request, epoch_number):
        return Response({"patrons": deposit_selectors.epoch_patrons(epoch=_indexed_epoch(epoch_number))})


class UniquenessQuotientApi(APIView):
    @extend_schema(responses=inline_serializer("UniquenessQuotient", {"uniquenessQuotient": DecimalStringField()}))
    def get(self, request, user_address, epoch_number):
        uq = allocation_selectors.uniqueness_quotient(epoch=parse_epoch(epoch_number),
                                           address=parse_address(user_address, field="userAddress"))
        return Response({"uniquenessQuotient": str(uq)})


class AllUniquenessQuotientsApi(APIView):
    @extend_schema(responses=inline_serializer("UniquenessQuotients", {"uqsInfo": inline_serializer("UqInfo", {
        "userAddress": serializers.CharField(), "uniquenessQuotient": DecimalStringField()}, many=True)}))
    def get(self, request, epoch_number):
        rows = allocation_selectors.uniqueness_quotients(epoch=parse_epoch(epoch_number))
        return Response({"uqsInfo": [{"userAddress": a, "uniquenessQuotient": s} for a, s in rows]})
