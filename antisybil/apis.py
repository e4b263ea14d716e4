from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from epochs.selectors import chain_view
from octant.core.exceptions import DelegationCheckWrongParams, DelegationDoesNotExist
from octant.web.api import ADDRESS_PATTERN, AddressStringField, OutputSerializer, parse_address

from . import selectors, services


class AntisybilStatusOut(OutputSerializer):
    status = serializers.CharField()
    score = serializers.CharField()  # str() of the float score, as the reference shows it ("21.0")
    expiresAt = serializers.CharField(source="expires_at")
    isOnTimeOutList = serializers.BooleanField(source="on_timeout_list")


class DelegationCheckOut(OutputSerializer):
    primary = serializers.CharField()
    secondary = serializers.CharField()


class AntisybilStatusApi(APIView):
    @extend_schema(responses=AntisybilStatusOut)
    def get(self, request, user_address):
        status = selectors.antisybil_status(address=parse_address(user_address, field="userAddress"))
        return Response(AntisybilStatusOut(status).data)

    @extend_schema(request=None, responses={204: None})
    def put(self, request, user_address):
        services.antisybil_refresh(address=parse_address(user_address, field="userAddress"))
        return Response(status=204)


class DelegationInput(serializers.Serializer):
    primaryAddr = AddressStringField()
    secondaryAddr = AddressStringField()
    primaryAddrSignature = serializers.CharField(max_length=10_000)
    secondaryAddrSignature = serializers.CharField(max_length=10_000)


class DelegateApi(APIView):
    @extend_schema(request=DelegationInput, responses={201: None})
    def post(self, request):
        body = DelegationInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        services.delegate(primary=data["primaryAddr"], secondary=data["secondaryAddr"],
                          primary_signature=data["primaryAddrSignature"],
                          secondary_signature=data["secondaryAddrSignature"], view=chain_view())
        return Response(None, status=201)


class RecalculateApi(APIView):
    @extend_schema(request=DelegationInput, responses={204: None})
    def put(self, request):
        body = DelegationInput(data=request.data)
        body.is_valid(raise_exception=True)
        services.delegation_recalculate(primary=body.validated_data["primaryAddr"],
                                        secondary=body.validated_data["secondaryAddr"])
        return Response(status=204)  # never reached: recalculation is deprecated


ADDRESS = ADDRESS_PATTERN.strip("^$")


class DelegationCheckApi(APIView):
    @extend_schema(parameters=[OpenApiParameter(
        "user_addresses", str, OpenApiParameter.PATH, pattern=f"^{ADDRESS}(,{ADDRESS}){{1,9}}$",
        description="2 to 10 comma-separated addresses")], responses=DelegationCheckOut)
    def get(self, request, user_addresses):
        raw = [a for a in user_addresses.split(",") if a.strip()]
        if not 2 <= len(raw) <= 10:
            raise DelegationCheckWrongParams()
        addresses = [parse_address(a.strip(), field="userAddresses") for a in raw]
        found = selectors.delegation_check(addresses=addresses)
        if found is None:
            raise DelegationDoesNotExist()
        primary, secondary = found
        return Response(DelegationCheckOut({"primary": primary, "secondary": secondary}).data)
