import base64

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from octant.core.exceptions import IpfsPathNotFound
from octant.web.api import OutputSerializer, RequestValidationError, is_ascii_digits, parse_address, parse_epoch

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


EPOCH_LIST = "^[0-9]{0,10}(,[0-9]{0,10})*$"  # comma-separated epoch numbers (blank ones are left out)


class ProjectDetailsApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("epochs", str, required=True, pattern=EPOCH_LIST,
                                     description="comma-separated epoch numbers"),
                    OpenApiParameter("searchPhrases", str, required=True, description="comma-separated phrases")],
        responses=ProjectsDetails)
    def get(self, request):
        errors = {}
        for name in ("epochs", "searchPhrases"):
            if name not in request.query_params:
                errors[name] = ["This query parameter is required."]
        epochs = []
        for part in request.query_params.get("epochs", "").split(","):
            if part:
                if is_ascii_digits(part) and len(part) <= 10:
                    epochs.append(int(part))
                else:
                    errors["epochs"] = [f"Must be comma-separated integers, got {part!r}"]
        if errors:
            raise RequestValidationError(errors)
        phrases = request.query_params["searchPhrases"].split(",")
        return Response(ProjectsDetails({
            "projects_details": selectors.project_details(epochs=epochs, phrases=phrases)}).data)


class Base64Field(serializers.CharField):
    """A text as the web client decodes it: base64 of its UTF-8 bytes."""

    def to_representation(self, value):
        return base64.b64encode(value.encode()).decode()


class Website(OutputSerializer):
    label = serializers.CharField(source="website_label")
    url = serializers.CharField(source="website_url")


# A `projects.selectors.project_document`: Octant's project metadata document (BackendProposal).
class ProjectMetadata(OutputSerializer):
    name = serializers.CharField()
    introDescription = serializers.CharField(source="intro_description")
    description = Base64Field(source="description_html", help_text="base64 of the description's HTML")
    profileImageSmall = serializers.CharField(source="profile_image", help_text="path under the gateway")
    profileImageMedium = serializers.CharField(source="profile_image")
    profileImageLarge = serializers.CharField(source="profile_image")
    website = Website(source="*")


class ProjectMetadataApi(APIView):
    """What an IPFS gateway serves at `{projectsCid}/{address}` (docs/lifecycle.md §8.2)."""

    @extend_schema(operation_id="ipfs_project_metadata", responses=ProjectMetadata)
    def get(self, request, cid, project_address):
        document = selectors.project_metadata(cid=cid, address=parse_address(project_address, field="address"))
        if document is None:
            raise IpfsPathNotFound(f"{cid}/{project_address}")
        return Response(ProjectMetadata(document).data)


class ProjectImageApi(APIView):
    """A project's image at its path under the gateway, the `profileImage*` of its document."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)  # an <img> may accept images only

    @extend_schema(operation_id="ipfs_project_image",
                   responses={(200, "image/*"): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request, name):
        found = selectors.project_image(name=name)
        if found is None:
            raise IpfsPathNotFound(name)
        data, content_type = found
        response = HttpResponse(data, content_type=content_type)
        response["Cache-Control"] = "public, max-age=31536000, immutable"  # named by its content
        response["X-Content-Type-Options"] = "nosniff"
        return response
