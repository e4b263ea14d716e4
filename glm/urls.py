from django.urls import path

from . import apis

urlpatterns = [
    path("glms/claim", apis.ClaimApi.as_view()),
    path("glms/claim/<str:user_address>/check", apis.ClaimCheckApi.as_view()),
]
