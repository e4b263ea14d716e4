from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from allocations import inputs as allocation_inputs
from epochs.selectors import chain_view
from octant.chain import safe_service
from octant.web.api import IntegerInputField, OutputSerializer, RequestValidationError, consent_ip, parse_address
from octant.web.http import KeysAsSentJSONParser

from . import services
from .models import MultisigSignature


def _op_type(value: str) -> str:
    if value not in MultisigSignature.Type.values:
        raise RequestValidationError({"opType": [f"Must be one of {', '.join(MultisigSignature.Type.values)}"]})
    return value


OP_TYPE = OpenApiParameter("op_type", str, OpenApiParameter.PATH, enum=MultisigSignature.Type.values)


@extend_schema_field({"anyOf": [{"type": "string"}, {"type": "object"}], "description": "a text, or an EIP-712 "
                      "typed data object"})
class MessageField(serializers.JSONField):
    """A Safe message: any JSON but null in the body (the service refuses a message of the wrong kind)."""


class MessageInput(serializers.Serializer):
    message = MessageField()


class PendingSignatureOut(OutputSerializer):  # a MultisigSignature row, or NO_PENDING_SIGNATURE
    message = serializers.CharField(allow_null=True)
    hash = serializers.CharField(source="safe_msg_hash", allow_null=True)


NO_PENDING_SIGNATURE = {"message": None, "safe_msg_hash": None}


class PendingSignatureApi(APIView):
    @extend_schema(parameters=[OP_TYPE], responses=PendingSignatureOut)
    def get(self, request, user_address, op_type):
        row = services.latest_pending(address=parse_address(user_address, field="userAddress"),
                                      op_type=_op_type(op_type))
        return Response(PendingSignatureOut(row or NO_PENDING_SIGNATURE).data)

    @extend_schema(parameters=[OP_TYPE], request=MessageInput, responses={201: None})
    def post(self, request, user_address, op_type):
        address = parse_address(user_address, field="userAddress")
        op_type = _op_type(op_type)
        body = MessageInput(data=request.data)
        body.is_valid(raise_exception=True)
        message, view = body.validated_data["message"], None
        if op_type == MultisigSignature.Type.ALLOCATION:  # parsed here: services take no DRF input
            message, view = allocation_inputs.allocation_message(message), chain_view()
        services.submit(address=address, op_type=op_type, message=message, ip=consent_ip(request), view=view)
        return Response(None, status=201)


class ApprovePendingApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def patch(self, request):
        services.approve_pending(read_view=chain_view)
        return Response(status=204)


# --- the local chain's Safe Transaction Service (docs/lifecycle.md §5.4), at the Safe Transaction Service's
# paths under /api/v1/, for the web client (VITE_SAFE_ENDPOINT) and a multisig flow pointed at it over HTTP


class SafeOut(OutputSerializer):
    address = serializers.CharField()
    nonce = serializers.CharField()
    threshold = serializers.IntegerField()
    owners = serializers.ListField(child=serializers.CharField())
    masterCopy = serializers.CharField()
    modules = serializers.ListField(child=serializers.CharField())
    fallbackHandler = serializers.CharField()
    guard = serializers.CharField()
    version = serializers.CharField()


class SafeConfirmationOut(OutputSerializer):
    created = serializers.CharField()
    modified = serializers.CharField()
    owner = serializers.CharField()
    signature = serializers.CharField()
    signatureType = serializers.CharField()


class SafeMessageOut(OutputSerializer):
    created = serializers.CharField()
    modified = serializers.CharField()
    safe = serializers.CharField()
    messageHash = serializers.CharField()
    message = MessageField()
    proposedBy = serializers.CharField()
    safeAppId = serializers.IntegerField(allow_null=True)
    confirmations = SafeConfirmationOut(many=True)
    preparedSignature = serializers.CharField(allow_null=True, help_text="the confirmations' signatures by owner")


def page(results: list) -> dict:
    """The Safe Transaction Service's page of a list: here one page holds it all."""
    return {"count": len(results), "next": None, "previous": None, "results": results}


class SafeMessagesOut(OutputSerializer):  # a `page`
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = SafeMessageOut(many=True)


class SafeTransactionsOut(OutputSerializer):  # a `page`
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = serializers.ListField(child=serializers.DictField())


class SafeMessageIn(serializers.Serializer):
    message = MessageField()
    signature = serializers.CharField(max_length=200, help_text="the proposing owner's signature of the "
                                                                "Safe message hash (65 bytes, hex)")
    safeAppId = IntegerInputField(required=False, allow_null=True, min_value=0, max_value=2**31 - 1)


class SignatureIn(serializers.Serializer):
    signature = serializers.CharField(max_length=200)


class SafeApi(APIView):
    @extend_schema(responses=SafeOut)
    def get(self, request, safe_address):
        return Response(SafeOut(safe_service.safe_info(address=parse_address(safe_address))).data)


class SafeMessagesApi(APIView):
    parser_classes = [KeysAsSentJSONParser]  # an EIP-712 object's keys are signed as they are

    @extend_schema(responses=SafeMessagesOut)
    def get(self, request, safe_address):
        messages = safe_service.safe_messages(address=parse_address(safe_address))
        return Response(SafeMessagesOut(page(messages)).data)

    @extend_schema(request=SafeMessageIn, responses={201: None})
    def post(self, request, safe_address):
        body = SafeMessageIn(data=request.data)
        body.is_valid(raise_exception=True)
        safe_service.safe_message_add(address=parse_address(safe_address), message=body.validated_data["message"],
                                      signature=body.validated_data["signature"],
                                      safe_app_id=body.validated_data.get("safeAppId"))
        return Response(None, status=201)


class SafeTransactionsApi(APIView):
    @extend_schema(responses=SafeTransactionsOut)
    def get(self, request, safe_address):
        transactions = safe_service.safe_transactions(address=parse_address(safe_address))
        return Response(SafeTransactionsOut(page(transactions)).data)


class SafeMessageApi(APIView):
    @extend_schema(responses=SafeMessageOut)
    def get(self, request, message_hash):
        return Response(SafeMessageOut(safe_service.safe_message(message_hash=message_hash)).data)


class SafeSignaturesApi(APIView):
    @extend_schema(request=SignatureIn, responses={201: None})
    def post(self, request, message_hash):
        body = SignatureIn(data=request.data)
        body.is_valid(raise_exception=True)
        safe_service.safe_message_confirm(message_hash=message_hash, signature=body.validated_data["signature"])
        return Response(None, status=201)
