from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from octant.web.api import OutputSerializer, RequestValidationError, is_ascii_digits, parse_epoch

from . import selectors


class EpochProjects(OutputSerializer):
    projectsAddresses = serializers.ListField(child=serializers.CharField(), source="projects_addresses")
    projectsCid = serializers.CharField(source="projects_cid")


class EpochProjectsApi(APIView):
    @extend_schema(responses=EpochProjects)
    def get(self, request, epoch_number):
        epoch = parse_epoch(epoch_number)
        return Response(EpochProjects({"projects_addresses": selectors.project_addresses(epoch=epoch),
                                       "projects_cid": selectors.projects_cid(epoch=epoch)}).data)


# A `projects.selectors.project_details` row (the epoch a string on the wire, as the reference's).
class ProjectDetail(OutputSerializer):
    name = serializers.CharField()
    address = serializers.CharField()
    epoch = serializers.CharField()


class ProjectsDetails(OutputSerializer):
    projectsDetails = ProjectDetail(many=True, source="projects_details")


class ProjectDetailsApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("epochs", str, required=True, description="comma-separated epoch numbers"),
                    OpenApiParameter("searchPhrases", str, required=True, description="comma-separated phrases")],
        responses=ProjectsDetails)
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
        return Response(ProjectsDetails({
            "projects_details": selectors.project_details(epochs=epochs, phrases=phrases)}).data)
