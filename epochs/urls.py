from django.urls import path

from . import apis

urlpatterns = [
    path("epochs/current", apis.CurrentEpochApi.as_view()),
    path("epochs/indexed", apis.IndexedEpochApi.as_view()),
    path("epochs/rewards-rate/<str:epoch_number>", apis.RewardsRateApi.as_view()),
    path("snapshots/status/<str:epoch>", apis.SnapshotStatusApi.as_view()),
]
