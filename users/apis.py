from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from allocations import selectors as allocation_selectors
from allocations import services as allocation_services
from deposits import selectors as deposit_selectors
from epochs import history
from epochs.selectors import chain_view
from octant.core.exceptions import EpochNotIndexed
from octant.web import signing_docs
from octant.web.api import (DecimalStringField, OutputSerializer, WeiStringField, client_ip, parse_address, parse_epoch,
                             rows_field)

from . import selectors, services


class HistoryQuery(serializers.Serializer):
    cursor = serializers.CharField(required=False, allow_blank=True)
    limit = serializers.IntegerField(required=False, min_value=1, default=history.MAX_PAGE)


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


class HistoryItemOut(OutputSerializer):  # an epochs.history.HistoryItem: the rest under eventData
    type = serializers.CharField(source="kind")
    timestamp = serializers.CharField()
    eventData = HistoryEventDataOut(source="*")


class HistoryOut(OutputSerializer):
    history = HistoryItemOut(many=True, source="items")
    nextCursor = serializers.CharField(source="next_cursor", allow_null=True)


class HistoryApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("cursor", str, required=False), OpenApiParameter("limit", int, required=False)],
        responses=HistoryOut)
    def get(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        query = HistoryQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        page, next_cursor = history.history(address=address, cursor=query.validated_data.get("cursor") or None,
                                              limit=query.validated_data["limit"])
        return Response(HistoryOut({"items": page, "next_cursor": next_cursor}).data)


class SignatureInput(serializers.Serializer):
    signature = serializers.CharField(max_length=10_000)


class TosOut(OutputSerializer):
    accepted = serializers.BooleanField()


class PatronModeOut(OutputSerializer):
    status = serializers.BooleanField()


class TosApi(APIView):
    @extend_schema(responses=TosOut)
    def get(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        return Response(TosOut({"accepted": selectors.has_accepted_tos(address=address)}).data)

    @extend_schema(request=SignatureInput, responses={201: TosOut}, description=signing_docs.TOS,
                   examples=[signing_docs.TOS_EXAMPLE])
    def post(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        body = SignatureInput(data=request.data)
        body.is_valid(raise_exception=True)
        services.tos_accept(address=address, signature=body.validated_data["signature"], ip=client_ip(request))
        return Response(TosOut({"accepted": True}).data, status=201)


class PatronModeApi(APIView):
    @extend_schema(responses=PatronModeOut)
    def get(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        return Response(PatronModeOut({"status": selectors.is_patron(address=address)}).data)

    @extend_schema(request=SignatureInput, responses=PatronModeOut, description=signing_docs.PATRON_MODE,
                   examples=[signing_docs.PATRON_MODE_EXAMPLE])
    def patch(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        body = SignatureInput(data=request.data)
        body.is_valid(raise_exception=True)
        enabled = allocation_services.patron_mode_toggle(address=address, signature=body.validated_data["signature"],
                                                         view=chain_view())
        return Response(PatronModeOut({"status": enabled}).data)


def _indexed_epoch(value) -> int:
    epoch = parse_epoch(value)
    if epoch > chain_view().current:
        raise EpochNotIndexed(epoch)
    return epoch


class EpochPatronsOut(OutputSerializer):
    patrons = serializers.ListField(child=serializers.CharField())


class EpochPatronsApi(APIView):
    @extend_schema(responses=EpochPatronsOut)
    def get(self, request, epoch_number):
        patrons = deposit_selectors.epoch_patrons(epoch=_indexed_epoch(epoch_number))
        return Response(EpochPatronsOut({"patrons": patrons}).data)


class UqField(DecimalStringField):
    """A UQ as the reference shows it: str() of the Decimal or of the stored string ("0.0" stays "0.0")."""

    def to_representation(self, value):
        return None if value is None else str(value)


class UniquenessQuotientOut(OutputSerializer):
    uniquenessQuotient = UqField(source="uq")


class UqInfoOut(OutputSerializer):  # a row of UniquenessQuotientsOut, rendered by uq_info_row
    userAddress = serializers.CharField(source="address")
    uniquenessQuotient = UqField(source="uq")


def uq_info_row(address: str, uq) -> dict:
    """`UqInfoOut(...).data` without a serializer per row (an epoch can have a UQ per user);
    tests/users/test_users_wire.py checks that both render the same."""
    return {"userAddress": address, "uniquenessQuotient": str(uq)}


class UniquenessQuotientsOut(OutputSerializer):
    uqsInfo = rows_field(UqInfoOut, uq_info_row, source="uqs")


class UniquenessQuotientApi(APIView):
    @extend_schema(responses=UniquenessQuotientOut)
    def get(self, request, user_address, epoch_number):
        uq = allocation_selectors.uniqueness_quotient(epoch=parse_epoch(epoch_number),
                                                      address=parse_address(user_address, field="userAddress"))
        return Response(UniquenessQuotientOut({"uq": uq}).data)


class AllUniquenessQuotientsApi(APIView):
    @extend_schema(responses=UniquenessQuotientsOut)
    def get(self, request, epoch_number):
        rows = allocation_selectors.uniqueness_quotients(epoch=parse_epoch(epoch_number))
        return Response(UniquenessQuotientsOut({"uqs": rows}).data)
