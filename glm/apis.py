from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from octant.web.api import OutputSerializer, WeiStringField, parse_address

from . import services


class ClaimInput(serializers.Serializer):
    signature = serializers.CharField(max_length=10_000)


class ClaimApi(APIView):
    @extend_schema(request=ClaimInput, responses={201: None})
    def post(self, request):
        body = ClaimInput(data=request.data)
        body.is_valid(raise_exception=True)
        services.claim(signature=body.validated_data["signature"])
        return Response(None, status=201)


class GlmClaimCheck(OutputSerializer):
    address = serializers.CharField()
    claimable = WeiStringField()


class ClaimCheckApi(APIView):
    @extend_schema(responses=GlmClaimCheck)
    def get(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        return Response(GlmClaimCheck({"address": address, "claimable": services.claim_check(address=address)}).data)
