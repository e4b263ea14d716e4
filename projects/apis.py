from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from octant.core.api import RequestValidationError, is_ascii_digits, parse_epoch

from . import selectors


class EpochProjectsApi(APIView):
    @extend_schema(responses=inline_serializer("EpochProjects", {
        "projectsAddresses": serializers.ListField(child=serializers.CharField()),
        "projectsCid": serializers.CharField()}))
    def get(self, request, epoch_number):
        epoch = parse_epoch(epoch_number)
        return Response({"projectsAddresses": selectors.project_addresses(epoch=epoch),
                         "projectsCid": selectors.projects_cid(epoch=epoch)})


class ProjectDetailsApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("epochs", str, required=True, description="comma-separated epoch numbers"),
                    OpenApiParameter("searchPhrases", str, required=True, description="comma-separated phrases")],
        responses=inline_serializer("ProjectsDetails", {"projectsDetails": inline_serializer("ProjectDetail", {
            "name": serializers.CharField(), "address": serializers.CharField(),
            "epoch": serializers.CharField()}, many=True)}))
    def get(self, request):
        errors = {}
        for name in ("epochs", "searchPhrases"):
            if name not in request.query_params:
                errors[name] = ["This query parameter is required."]
        epochs = []
        for part in request.query_params.get("epochs", "").split(","):
            if part.strip():
                if is_ascii_digits(part.strip()) and len(part.strip()) <= 10:
                    epochs.append(int(part))
                else:
                    errors["epochs"] = [f"Must be comma-separated integers, got {part!r}"]
        if errors:
            raise RequestValidationError(errors)
        phrases = request.query_params["searchPhrases"].split(",")
        return Response({"projectsDetails": selectors.project_details(epochs=epochs, phrases=phrases)})
