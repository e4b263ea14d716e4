from django.urls import path

from . import apis

urlpatterns = [
    path("allocations/allocate", apis.AllocateApi.as_view()),
    path("allocations/leverage/<str:user_address>", apis.LeverageSimulationApi.as_view()),
    path("allocations/epoch/<str:epoch_number>", apis.EpochAllocationsApi.as_view()),
    path("allocations/user/<str:user_address>/epoch/<str:epoch_number>", apis.UserAllocationsApi.as_view()),
    path("allocations/project/<str:project_address>/epoch/<str:epoch_number>", apis.ProjectDonorsApi.as_view()),
    path("allocations/users/<str:user_address>/allocation_nonce", apis.AllocationNonceApi.as_view()),
    path("allocations/donors/<str:epoch_number>", apis.DonorsApi.as_view()),
    path("rewards/projects/estimated", apis.EstimatedProjectRewardsApi.as_view()),
    path("rewards/threshold/<str:epoch_number>", apis.ThresholdApi.as_view()),
    path("rewards/leverage/<str:epoch_number>", apis.EpochLeverageApi.as_view()),
    path("user/uq/<str:epoch_number>/all", apis.AllUniquenessQuotientsApi.as_view()),
    path("user/<str:user_address>/patron-mode", apis.PatronModeApi.as_view()),
    path("user/<str:user_address>/patron-mode/nonce", apis.PatronModeNonceApi.as_view()),
    path("user/<str:user_address>/uq/<str:epoch_number>", apis.UniquenessQuotientApi.as_view()),
]
