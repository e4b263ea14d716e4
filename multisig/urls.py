from django.urls import path, re_path

from . import apis

urlpatterns = [
    path("multisig-signatures/pending/approve", apis.ApprovePendingApi.as_view()),
    path("multisig-signatures/pending/<str:user_address>/type/<str:op_type>", apis.PendingSignatureApi.as_view()),
    # the local Safe Transaction Service; the trailing slash optional, as clients call both forms
    re_path(r"^api/v1/safes/(?P<safe_address>[^/]+)/?$", apis.SafeApi.as_view()),
    re_path(r"^api/v1/safes/(?P<safe_address>[^/]+)/messages/?$", apis.SafeMessagesApi.as_view()),
    re_path(r"^api/v1/safes/(?P<safe_address>[^/]+)/all-transactions/?$", apis.SafeTransactionsApi.as_view()),
    re_path(r"^api/v1/messages/(?P<message_hash>[^/]+)/?$", apis.SafeMessageApi.as_view()),
    re_path(r"^api/v1/messages/(?P<message_hash>[^/]+)/signatures/?$", apis.SafeSignaturesApi.as_view()),
]
