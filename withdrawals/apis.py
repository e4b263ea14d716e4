from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from epochs import selectors as epoch_selectors
from octant.core.exceptions import EpochNotIndexed
from octant.web.api import OutputSerializer, WeiStringField, parse_address, parse_epoch, rows_field

from . import selectors


class WithdrawalOut(OutputSerializer):
    epoch = serializers.IntegerField()
    amount = WeiStringField()
    proof = serializers.ListField(child=serializers.CharField())
    status = serializers.ChoiceField(choices=["pending", "available"])


class MerkleLeafOut(OutputSerializer):  # a leaf of MerkleTreeOut, rendered by merkle_leaf_row
    address = serializers.CharField()
    amount = WeiStringField()


def merkle_leaf_row(address: str, amount: int) -> dict:
    """`MerkleLeafOut(...).data` without a serializer per leaf (a tree can have a leaf per user);
    tests/withdrawals/test_withdrawals_wire.py checks that both render the same."""
    return {"address": address, "amount": str(amount)}


class MerkleTreeOut(OutputSerializer):
    epoch = serializers.IntegerField()
    rewardsSum = WeiStringField(source="rewards_sum")
    root = serializers.CharField(allow_null=True)
    leaves = rows_field(MerkleLeafOut, merkle_leaf_row)
    leafEncoding = serializers.ListField(child=serializers.CharField(), source="leaf_encoding")


LEAF_ENCODING = ["address", "uint256"]  # the Solidity types of a leaf's fields, as the Vault hashes them


class UnusedRewardsOut(OutputSerializer):
    addresses = serializers.ListField(child=serializers.CharField())
    value = WeiStringField()


class FinalProjectRewardOut(OutputSerializer):
    address = serializers.CharField()
    allocated = WeiStringField()
    matched = WeiStringField()


class EpochProjectRewardsOut(OutputSerializer):
    rewards = FinalProjectRewardOut(many=True)


class WithdrawalsApi(APIView):
    @extend_schema(responses=WithdrawalOut(many=True))
    def get(self, request, user_address):
        entries = selectors.withdrawals(address=parse_address(user_address, field="userAddress"),
                                        view=epoch_selectors.chain_view())
        return Response(WithdrawalOut(entries, many=True).data)


class MerkleTreeApi(APIView):
    @extend_schema(responses=MerkleTreeOut)
    def get(self, request, epoch_number):
        epoch = parse_epoch(epoch_number)
        tree, leaves = selectors.merkle_tree(epoch=epoch)
        return Response(MerkleTreeOut({
            "epoch": epoch, "rewards_sum": sum(amount for _, amount in leaves), "root": tree.root,
            "leaves": leaves, "leaf_encoding": LEAF_ENCODING}).data)


class UnusedRewardsApi(APIView):
    @extend_schema(responses=UnusedRewardsOut)
    def get(self, request, epoch_number):
        epoch = parse_epoch(epoch_number)
        if epoch > epoch_selectors.chain_view().current:
            raise EpochNotIndexed(epoch)
        addresses, value = selectors.unused_rewards(epoch=epoch)
        return Response(UnusedRewardsOut({"addresses": addresses, "value": value}).data)


class EpochProjectRewardsApi(APIView):
    @extend_schema(responses=EpochProjectRewardsOut)
    def get(self, request, epoch_number):
        return Response(EpochProjectRewardsOut({"rewards": selectors.project_rewards(
            epoch=parse_epoch(epoch_number))}).data)
