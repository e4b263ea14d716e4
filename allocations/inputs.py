"""The allocation bodies as clients send them (docs/lifecycle.md §9.3), parsed for the interface layer: the HTTP view,
the websocket consumer and the Safe (multisig) message view. Services take the parsed values, never DRF."""
from dataclasses import dataclass

from django.conf import settings
from rest_framework import serializers

from octant.core import exceptions
from octant.web.api import AddressStringField, IntegerInputField, WeiStringField
from projects.selectors import project_addresses


class AllocationItemInput(serializers.Serializer):
    proposalAddress = AddressStringField()
    amount = WeiStringField()


class AllocationPayloadInput(serializers.Serializer):
    allocations = AllocationItemInput(many=True, allow_empty=True)
    nonce = IntegerInputField(min_value=0, max_value=2**63 - 1)


class AllocateInput(serializers.Serializer):
    userAddress = AddressStringField()
    payload = AllocationPayloadInput()
    signature = serializers.CharField(max_length=10_000)
    isManuallyEdited = serializers.BooleanField()


class AllocationMessageInput(serializers.Serializer):
    """A Safe's allocation message: the allocate body without the address and the signature."""

    payload = AllocationPayloadInput()
    isManuallyEdited = serializers.BooleanField()


@dataclass(frozen=True)
class AllocateRequest:
    """A valid allocate body, as `allocations.services.allocate` takes it."""

    user_address: str
    allocations: list[tuple[str, int]]  # (project, amount)
    nonce: int
    signature: str
    is_manually_edited: bool


@dataclass(frozen=True)
class AllocationMessage:
    """A valid Safe allocation message, as `multisig.services.submit` takes it."""

    allocations: list[tuple[str, int]]  # (project, amount)
    nonce: int
    is_manually_edited: bool


def check_allocation_count(items, *, epoch: int) -> None:
    """Refuse a list of allocation items longer than the epoch could need, before anything reads it item by
    item: at most max(the epoch's project count, ALLOCATION_MAX_ITEMS) items."""
    if not isinstance(items, list):
        return
    limit = settings.ALLOCATION_MAX_ITEMS
    if len(items) > limit:
        limit = max(limit, len(project_addresses(epoch=epoch)))
    if len(items) > limit:
        raise serializers.ValidationError({"allocations": [f"Ensure this field has no more than {limit} elements."]})


def _pairs(payload: dict) -> list[tuple[str, int]]:
    return [(item["proposalAddress"], item["amount"]) for item in payload["allocations"]]


def allocate_request(data, *, view) -> AllocateRequest:
    """A `POST /allocations/allocate` body (or the websocket `allocate` payload), keys camelCase already (the
    HTTP parser and the socket's json_loads convert snake_case). `view` is the chain view the allocation
    will use: outside an allocation window the body is not even read (the reference checks the window
    first)."""
    if view.pending is None:
        raise exceptions.AllocationWindowClosed()
    payload = data.get("payload") if isinstance(data, dict) else None
    if isinstance(payload, dict):  # before anything walks the items
        try:
            check_allocation_count(payload.get("allocations"), epoch=view.pending)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"payload": exc.detail})
    body = AllocateInput(data=data)
    body.is_valid(raise_exception=True)
    values = body.validated_data
    return AllocateRequest(user_address=values["userAddress"], allocations=_pairs(values["payload"]),
                           nonce=values["payload"]["nonce"], signature=values["signature"],
                           is_manually_edited=values["isManuallyEdited"])


def allocation_message(message) -> AllocationMessage:
    """A Safe's allocation message (`POST /multisig-signatures/pending/{address}/type/allocation`); anything else is an
    InvalidMultisigSignatureRequest."""
    body = AllocationMessageInput(data=message)
    if not isinstance(message, dict) or not body.is_valid():
        raise exceptions.InvalidMultisigSignatureRequest()
    payload = body.validated_data["payload"]
    return AllocationMessage(allocations=_pairs(payload), nonce=payload["nonce"],
                             is_manually_edited=body.validated_data["isManuallyEdited"])
