from django.contrib import admin
from django.db.models import OuterRef, Subquery

from octant.web.admin import ReadOnlyAdmin, address_html
from projects.models import Project

from .models import Allocation, AllocationRequest, ProjectFunding, UniquenessQuotient


class UserAddressAdmin(ReadOnlyAdmin):
    @admin.display(description="user", ordering="user__address")
    def donor(self, obj):
        return address_html(obj.user.address)


class ProjectNameAdmin(UserAddressAdmin):
    """Shows `project_address` as the project's name of that epoch with the address shortened."""

    def get_queryset(self, request):
        names = Project.objects.filter(epoch=OuterRef("epoch"), address=OuterRef("project_address"))
        return super().get_queryset(request).annotate(project_name=Subquery(names.values("name")[:1]))

    @admin.display(description="project", ordering="project_name")
    def project(self, obj):
        return address_html(obj.project_address, getattr(obj, "project_name", None) or "")


@admin.register(Allocation)
class AllocationAdmin(ProjectNameAdmin):
    list_display = ["epoch", "donor", "project", "amount", "nonce", "deleted_at"]
    list_filter = ["epoch"]
    search_fields = ["user__address", "project_address"]
    list_select_related = ["user"]


@admin.register(AllocationRequest)
class AllocationRequestAdmin(UserAddressAdmin):
    list_display = ["epoch", "donor", "nonce", "leverage", "is_manually_edited", "timestamp"]
    list_filter = ["epoch"]
    search_fields = ["user__address"]
    list_select_related = ["user"]


@admin.register(UniquenessQuotient)
class UniquenessQuotientAdmin(UserAddressAdmin):
    list_display = ["epoch", "donor", "score"]
    list_filter = ["epoch", "score"]
    search_fields = ["user__address"]
    list_select_related = ["user"]


@admin.register(ProjectFunding)
class ProjectFundingAdmin(ProjectNameAdmin):
    list_display = ["epoch", "project", "allocated", "sqrt_sum", "exact"]
    list_filter = ["epoch", "exact"]
    search_fields = ["project_address"]
