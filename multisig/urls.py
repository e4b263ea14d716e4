from django.urls import path

from . import apis

urlpatterns = [
    path("multisig-signatures/pending/approve", apis.ApprovePendingApi.as_view()),
    path("multisig-signatures/pending/<str:user_address>/type/<str:op_type>", apis.PendingSignatureApi.as_view()),
]
