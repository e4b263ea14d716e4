from django.urls import path

from . import apis

urlpatterns = [path("history/<str:user_address>", apis.HistoryApi.as_view())]
