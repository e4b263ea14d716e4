from django.urls import path

from . import apis

urlpatterns = [
    path("projects/details", apis.ProjectDetailsApi.as_view()),
    path("projects/epoch/<str:epoch_number>", apis.EpochProjectsApi.as_view()),
    path("ipfs/<str:cid>/<str:project_address>", apis.ProjectMetadataApi.as_view()),
    path("ipfs/<str:name>", apis.ProjectImageApi.as_view()),
]
