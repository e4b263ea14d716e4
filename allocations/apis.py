"""Allocation and live-reward endpoints, and under /user/ patron mode (its toggle withdraws allocations) and
the uniqueness quotients the allocations freeze. Each answer is rendered by the output serializer its schema
names; the rows of the big or hot lists by a plain function beside it (`to_representation`), which
tests/octant/test_wire_rows.py holds equal to what the serializer's declared fields render."""
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from epochs import selectors as epoch_selectors
from epochs.selectors import EpochState
from octant.core import logs, metrics
from octant.core.exceptions import AllocationWindowClosed, NotImplementedForGivenEpochState
from octant.web import signing_docs
from octant.web.api import (DecimalStringField, OutputSerializer, WeiStringField, parse_address, parse_epoch,
                            rows_field)
from octant.web.http import json_list_response
from users import selectors as user_selectors
from users.apis import SignatureInput

from . import inputs, selectors, services


# An (address, amount) pair; rows are {"address", "amount"} dicts (a project's donors: every donor).
class AddressAmount(OutputSerializer):
    address = serializers.CharField()
    amount = WeiStringField()

    def to_representation(self, row):
        return {"address": row["address"], "amount": str(row["amount"])}


def _address_amounts(pairs) -> list[dict]:
    return AddressAmount([{"address": address, "amount": amount} for address, amount in pairs], many=True).data


# An `allocations.engine.ProjectReward` (`/rewards/projects/estimated` is polled by every client).
class ProjectRewardOut(OutputSerializer):
    address = serializers.CharField()
    allocated = WeiStringField()
    matched = WeiStringField()

    def to_representation(self, reward):
        return {"address": reward.address, "allocated": str(reward.allocated), "matched": str(reward.matched)}


class AllocateApi(APIView):
    @extend_schema(request=inputs.AllocateInput, responses={201: OpenApiResponse(description="`null`")},
                   description=signing_docs.ALLOCATE, examples=[signing_docs.ALLOCATE_EXAMPLE])
    def post(self, request):
        allocate_from_request(request.data)
        return Response(None, status=201)


@metrics.counts_allocations
def allocate_from_request(data) -> int:
    """Parse an allocate body (this view's, or the websocket's `allocate` event: allocations.consumers) and
    allocate. Returns the epoch."""
    view = epoch_selectors.chain_view()
    body = inputs.allocate_request(data, view=view)
    logs.bind(user=body.user_address, epoch=view.pending)
    return services.allocate(user_address=body.user_address, allocations=body.allocations, nonce=body.nonce,
                             signature=body.signature, is_manually_edited=body.is_manually_edited,
                             view=view).epoch


class LeverageSimulationInput(serializers.Serializer):
    allocations = inputs.AllocationItemInput(many=True)


class LeverageField(DecimalStringField):
    """The simulated leverage as Python writes it (str() of the float, "0.0" included)."""

    def to_representation(self, value):
        return str(value)


# An `allocations.engine.ProjectReward`: its matched rewards.
class ProjectMatched(OutputSerializer):
    address = serializers.CharField()
    value = WeiStringField(source="matched")


# An `allocations.engine.AllocationSimulation`.
class LeverageSimulation(OutputSerializer):
    leverage = LeverageField()
    threshold = WeiStringField(allow_null=True)
    matched = ProjectMatched(many=True, source="rewards")


class LeverageSimulationApi(APIView):
    heavy = True  # octant.web.throttles.HeavyThrottle

    @extend_schema(request=LeverageSimulationInput, responses=LeverageSimulation)
    def post(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        view = epoch_selectors.chain_view()
        epoch = view.pending
        if epoch is None:
            raise AllocationWindowClosed()
        if isinstance(request.data, dict):
            inputs.check_allocation_count(request.data.get("allocations"), epoch=epoch)
        body = LeverageSimulationInput(data=request.data)
        body.is_valid(raise_exception=True)
        new = [(a["proposalAddress"], a["amount"]) for a in body.validated_data["allocations"]]
        result = selectors.simulate_allocation(
            epoch=epoch, previous=selectors.user_live_allocations(epoch=epoch, address=address), new=new,
            uq=selectors.uq_for_simulation(epoch=epoch, address=address), address=address,
            matched=selectors.estimated_matched_rewards(epoch=epoch, now=view.now))
        return Response(LeverageSimulation(result).data)


# A (donor, amount, project) row of an epoch's allocations, streamed (up to millions): rendered by
# `donor_allocation_row`, not per row through DRF.
class DonorAllocation(OutputSerializer):
    donor = serializers.CharField()
    amount = WeiStringField()
    project = serializers.CharField()


def donor_allocation_row(donor: str, amount: int | str, project: str) -> dict:
    """A `DonorAllocation` as its fields render it (tests/octant/test_wire_rows.py)."""
    return {"donor": donor, "amount": str(amount), "project": project}


def donor_allocations_json(rows) -> str:
    """The JSON text of `donor_allocation_row` for each (donor, amount digits, project) row, comma-separated:
    a million rows are written about 3x faster than through dicts and the JSON encoder. Addresses and digits
    need no escaping (tests/octant/test_wire_rows.py holds the text equal to the encoder's)."""
    return ",".join([f'{{"donor":"{donor}","amount":"{amount}","project":"{project}"}}'
                     for donor, amount, project in rows])


class EpochAllocations(OutputSerializer):
    allocations = DonorAllocation(many=True)


class EpochAllocationsApi(APIView):
    heavy = True  # octant.web.throttles.HeavyThrottle

    @extend_schema(parameters=[OpenApiParameter("includeZeroAllocations", bool, required=False)],
                   responses=EpochAllocations)
    def get(self, request, epoch_number):
        include_zero = request.query_params.get("includeZeroAllocations", "false").lower() in ("true", "1")
        epoch = parse_epoch(epoch_number)
        chunks = selectors.epoch_allocations_chunks(epoch=epoch, include_zero=include_zero)
        return json_list_response(
            "allocations", (donor_allocations_json(chunk) for chunk in chunks),
            cache=(f"allocations-{epoch}-{'all' if include_zero else 'nonzero'}",
                   selectors.allocations_version(epoch=epoch)))


class UserAllocations(OutputSerializer):
    allocations = AddressAmount(many=True)
    isManuallyEdited = serializers.BooleanField(allow_null=True, source="is_manually_edited")


class UserAllocationsApi(APIView):
    @extend_schema(responses=UserAllocations)
    def get(self, request, user_address, epoch_number):
        rows, edited = selectors.user_allocations(epoch=parse_epoch(epoch_number),
                                                  address=parse_address(user_address, field="userAddress"))
        return Response(UserAllocations({
            "allocations": [{"address": project, "amount": amount} for project, amount in rows],
            "is_manually_edited": edited}).data)


class ProjectDonorsApi(APIView):
    @extend_schema(responses=AddressAmount(many=True))
    def get(self, request, project_address, epoch_number):
        rows = selectors.project_donors(epoch=parse_epoch(epoch_number),
                                        project=parse_address(project_address, field="projectAddress"))
        return Response(_address_amounts(rows))


class AllocationNonce(OutputSerializer):
    allocationNonce = serializers.IntegerField(source="allocation_nonce")


class AllocationNonceApi(APIView):
    @extend_schema(responses=AllocationNonce)
    def get(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        return Response(AllocationNonce({"allocation_nonce": selectors.next_nonce(address=address)}).data)


# Streamed: the donors' addresses, as `allocations.selectors.donors_chunks` gives them (strings).
class Donors(OutputSerializer):
    donors = serializers.ListField(child=serializers.CharField())


class DonorsApi(APIView):
    @extend_schema(responses=Donors)
    def get(self, request, epoch_number):
        epoch = parse_epoch(epoch_number)
        return json_list_response("donors", selectors.donors_chunks(epoch=epoch),
                                  cache=(f"donors-{epoch}", selectors.allocations_version(epoch=epoch)))


# An `allocations.engine.ProjectRewardsResult`: its rewards.
class EstimatedProjectRewards(OutputSerializer):
    rewards = ProjectRewardOut(many=True)


class EstimatedProjectRewardsApi(APIView):
    @extend_schema(responses=EstimatedProjectRewards)
    def get(self, request):
        view = epoch_selectors.chain_view()
        if view.pending is None:
            raise AllocationWindowClosed()
        result = selectors.estimated_project_rewards_shared(epoch=view.pending, now=view.now)
        return Response(EstimatedProjectRewards(result).data)


class Threshold(OutputSerializer):
    threshold = WeiStringField(allow_null=True)


class ThresholdApi(APIView):
    @extend_schema(responses=Threshold)
    def get(self, request, epoch_number):
        return Response(Threshold({"threshold": selectors.epoch_threshold(epoch=parse_epoch(epoch_number))}).data)


class LeverageNumberField(serializers.FloatField):
    """A JSON number as the selector gives it: the float ratio, or the integer 0 without allocations."""

    def to_representation(self, value):
        return value


class EpochLeverage(OutputSerializer):
    leverage = LeverageNumberField()


class EpochLeverageApi(APIView):
    @extend_schema(responses=EpochLeverage)
    def get(self, request, epoch_number):
        epoch = parse_epoch(epoch_number)
        view = epoch_selectors.chain_view()
        if epoch_selectors.epoch_state(epoch=epoch, view=view) > EpochState.PENDING:
            raise NotImplementedForGivenEpochState()
        return Response(EpochLeverage({"leverage": selectors.epoch_leverage(epoch=epoch, now=view.now)}).data)


# --- patron mode and uniqueness quotients (under /user/) -----------------------------------------------


class PatronModeOut(OutputSerializer):
    status = serializers.BooleanField()


class PatronModeApi(APIView):
    @extend_schema(responses=PatronModeOut)
    def get(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        return Response(PatronModeOut({"status": user_selectors.is_patron(address=address)}).data)

    @extend_schema(request=SignatureInput, responses=PatronModeOut, description=signing_docs.PATRON_MODE,
                   examples=[signing_docs.PATRON_MODE_EXAMPLE])
    def patch(self, request, user_address):
        address = parse_address(user_address, field="userAddress")
        body = SignatureInput(data=request.data)
        body.is_valid(raise_exception=True)
        enabled = services.patron_mode_toggle(address=address, signature=body.validated_data["signature"],
                                             view=epoch_selectors.chain_view())
        return Response(PatronModeOut({"status": enabled}).data)


class PatronModeNonceOut(OutputSerializer):
    nonce = serializers.IntegerField()
    message = serializers.CharField(help_text="the text to sign (EIP-191) to switch patron mode now")


class PatronModeNonceApi(APIView):
    @extend_schema(responses=PatronModeNonceOut, description=signing_docs.PATRON_MODE_NONCE)
    def get(self, request, user_address):
        nonce, message = user_selectors.patron_mode_to_sign(address=parse_address(user_address, field="userAddress"))
        return Response(PatronModeNonceOut({"nonce": nonce, "message": message}).data)


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
        uq = selectors.uniqueness_quotient(epoch=parse_epoch(epoch_number),
                                           address=parse_address(user_address, field="userAddress"))
        return Response(UniquenessQuotientOut({"uq": uq}).data)


class AllUniquenessQuotientsApi(APIView):
    @extend_schema(responses=UniquenessQuotientsOut)
    def get(self, request, epoch_number):
        rows = selectors.uniqueness_quotients(epoch=parse_epoch(epoch_number))
        return Response(UniquenessQuotientsOut({"uqs": rows}).data)
