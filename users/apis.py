from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from octant.core.api import WeiField, parse_address

from . import selectors


class HistoryQuery(serializers.Serializer):
    cursor = serializers.CharField(required=False, allow_blank=True)
    limit = serializers.IntegerField(required=False, min_value=1, default=selectors.MAX_PAGE)


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
        page, next_cursor = selectors.history(address=address, cursor=query.validated_data.get("cursor") or None,
                                              limit=query.validated_data["limit"])
        return Response({"history": page, "nextCursor": next_cursor})
