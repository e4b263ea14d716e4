from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from epochs import selectors as epoch_selectors
from octant.core.api import WeiField, parse_address, parse_epoch
from octant.core.exceptions import EpochNotIndexed

from . import selectors


class WithdrawalsApi(APIView):
    @extend_schema(responses=inline_serializer("Withdrawal", {
        "epoch": serializers.IntegerField(), "amount": WeiField(),
        "proof": serializers.ListField(child=serializers.CharField()),
        "status": serializers.ChoiceField(choices=["pending", "available"])}, many=True))
    def get(self, request, user_address):
        return Response(selectors.withdrawals(address=parse_address(user_address, field="userAddress")))


class MerkleTreeApi(APIView):
    @extend_schema(responses=inline_serializer("MerkleTree", {
        "epoch": serializers.IntegerField(), "rewardsSum": WeiField(), "root": serializers.CharField(allow_null=True),
        "leaves": inline_serializer("MerkleLeaf", {"address": serializers.CharField(), "amount": WeiField()},
                                    many=True),
        "leafEncoding": serializers.ListField(child=serializers.CharField())}))
    def get(self, request, epoch_number):
        epoch = parse_epoch(epoch_number)
        tree, leaves = selectors.merkle_tree(epoch=epoch)
        return Response({
            "epoch": epoch, "rewardsSum": str(sum(amount for _, amount in leaves)), "root": tree.root,
            "leaves": [{"address": a, "amount": str(amount)} for a, amount in leaves],
            "leafEncoding": ["address", "uint256"],
        })


class UnusedRewardsApi(APIView):
    @extend_schema(responses=inline_serializer("UnusedRewards", {
        "addresses": serializers.ListField(child=serializers.CharField()), "value": WeiField()}))
    def get(self, request, epoch_number):
        epoch = parse_epoch(epoch_number)
        if epoch > epoch_selectors.chain_view().current:
            raise EpochNotIndexed(epoch)
        addresses, value = selectors.unused_rewards(epoch=epoch)
        return Response({"addresses": addresses, "value": str(value)})


class EpochProjectRewardsApi(APIView):
    @extend_schema(responses=inline_serializer("EpochProjectRewards", {"rewards": inline_serializer(
        "FinalProjectReward", {"address": serializers.CharField(), "allocated": WeiField(), "matched": WeiField()},
        many=True)}))
    def get(self, request, epoch_number):
        return Response({"rewards": selectors.project_rewards(epoch=parse_epoch(epoch_number))})
