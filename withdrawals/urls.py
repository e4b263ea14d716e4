from django.urls import path

from . import apis

urlpatterns = [
    path("withdrawals/<str:user_address>", apis.WithdrawalsApi.as_view()),
    path("rewards/merkle_tree/<str:epoch_number>", apis.MerkleTreeApi.as_view()),
    path("rewards/unused/<str:epoch_number>", apis.UnusedRewardsApi.as_view()),
    path("rewards/projects/epoch/<str:epoch_number>", apis.EpochProjectRewardsApi.as_view()),
]
