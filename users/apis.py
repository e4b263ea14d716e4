from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from octant.web import signing_docs
from octant.web.api import OutputSerializer, consent_ip, parse_address

from . import selectors, services


class SignatureInput(serializers.Serializer):
    signature = serializers.CharField(max_length=10_000)


class TosOut(OutputSerializer):
    accepted = serializers.BooleanField()


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
        services.tos_accept(address=address, signature=body.validated_data["signature"], ip=consent_ip(request))
        return Response(TosOut({"accepted": True}).data, status=201)
