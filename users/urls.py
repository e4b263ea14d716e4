from django.urls import path

from . import apis

urlpatterns = [
    path("history/<str:user_address>", apis.HistoryApi.as_view()),
    path("user/patrons/<str:epoch_number>", apis.EpochPatronsApi.as_view()),
    path("user/uq/<str:epoch_number>/all", apis.AllUniquenessQuotientsApi.as_view()),
    path("user/<str:user_address>/tos", apis.TosApi.as_view()),
    path("user/<str:user_address>/patron-mode", apis.PatronModeApi.as_view()),
    path("user/<str:user_address>/uq/<str:epoch_number>", apis.UniquenessQuotientApi.as_view()),
]
