from django.urls import path

from . import apis

urlpatterns = [
    # literal segments before parameters
    path("deposits/total_effective/estimated", apis.TotalEffectiveEstimatedApi.as_view()),
    path("deposits/users/<str:user_address>/estimated_effective_deposit", apis.EstimatedEffectiveDepositApi.as_view()),
    path("deposits/users/<str:user_address>/<str:epoch_number>", apis.UserEffectiveDepositApi.as_view()),
    path("deposits/<str:epoch_number>/total_effective", apis.TotalEffectiveApi.as_view()),
    path("deposits/<str:epoch_number>/locked_ratio", apis.LockedRatioApi.as_view()),
    path("rewards/budget/<str:user_address>/epoch/<str:epoch_number>", apis.UserBudgetApi.as_view()),
    path("rewards/budgets/epoch/<str:epoch_number>", apis.EpochBudgetsApi.as_view()),
    path("user/sablier-streams/all", apis.AllSablierStreamsApi.as_view()),
    path("user/<str:user_address>/sablier-streams", apis.UserSablierStreamsApi.as_view()),
    path("user/patrons/<str:epoch_number>", apis.EpochPatronsApi.as_view()),
]
