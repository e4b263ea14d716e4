from django.urls import path

from . import apis, node

urlpatterns = [
    path("epochs/info/<str:epoch_number>", apis.EpochInfoApi.as_view()),
    path("snapshots/pending/simulate", apis.PendingSnapshotSimulateApi.as_view()),
    path("snapshots/pending", apis.PendingSnapshotApi.as_view()),
    path("snapshots/finalized/simulate", apis.FinalizedSnapshotSimulateApi.as_view()),
    path("snapshots/finalized", apis.FinalizedSnapshotApi.as_view()),
    path("snapshots/finalized/<str:epoch>/verification", apis.FinalizedSnapshotVerificationApi.as_view()),
    path("rewards/budget/<str:user_address>/upcoming", apis.UpcomingBudgetApi.as_view()),
    path("rewards/estimated_budget/by_days", apis.EstimatedBudgetByDaysApi.as_view()),
    path("rewards/estimated_budget", apis.EstimatedBudgetApi.as_view()),
    path("history/<str:user_address>", apis.HistoryApi.as_view()),
    path("rpc", node.rpc),
    path("subgraphs/name/octant", node.subgraph),
    path("subgraphs/name/regen-staker", node.regen_staker_subgraph),
]
