from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from allocations import inputs as allocation_inputs
from epochs.selectors import chain_view
from octant.web.api import OutputSerializer, RequestValidationError, client_ip, parse_address

from . import services
from .models import MultisigSignature


def _op_type(value: str) -> str:
    if value not in MultisigSignature.Type.values:
        raise RequestValidationError({"opType": [f"Must be one of {', '.join(MultisigSignature.Type.values)}"]})
    return value


class MessageInput(serializers.Serializer):
    message = serializers.JSONField()


class PendingSignatureOut(OutputSerializer):  # a MultisigSignature row, or NO_PENDING_SIGNATURE
    message = serializers.CharField(allow_null=True)
    hash = serializers.CharField(source="safe_msg_hash", allow_null=True)


NO_PENDING_SIGNATURE = {"message": None, "safe_msg_hash": None}


class PendingSignatureApi(APIView):
    @extend_schema(responses=PendingSignatureOut)
    def get(self, request, user_address, op_type):
        row = services.latest_pending(address=parse_address(user_address, field="userAddress"),
                                      op_type=_op_type(op_type))
        return Response(PendingSignatureOut(row or NO_PENDING_SIGNATURE).data)

    @extend_schema(request=MessageInput, responses={201: None})
    def post(self, request, user_address, op_type):
        address = parse_address(user_address, field="userAddress")
        op_type = _op_type(op_type)
        body = MessageInput(data=request.data)
        body.is_valid(raise_exception=True)
        message, view = body.validated_data["message"], None
        if op_type == MultisigSignature.Type.ALLOCATION:  # parsed here: services take no DRF input
            message, view = allocation_inputs.allocation_message(message), chain_view()
        services.submit(address=address, op_type=op_type, message=message, ip=client_ip(request), view=view)
        return Response(None, status=201)


class ApprovePendingApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def patch(self, request):
        services.approve_pending(read_view=chain_view)
        return Response(status=204)
