from django.urls import path

from . import apis

urlpatterns = [
    path("user/<str:user_address>/antisybil-status", apis.AntisybilStatusApi.as_view()),
    path("delegation/delegate", apis.DelegateApi.as_view()),
    path("delegation/recalculate", apis.RecalculateApi.as_view()),
    path("delegation/check/<str:user_addresses>", apis.DelegationCheckApi.as_view()),
]
