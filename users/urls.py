from django.urls import path

from . import apis

urlpatterns = [
    path("user/<str:user_address>/tos", apis.TosApi.as_view()),
]
