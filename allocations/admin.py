from django.contrib import admin

from octant.core.admin import ReadOnlyAdmin

from .models import Allocation, AllocationRequest, ProjectFunding, UniquenessQuotient


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ["epoch", "user", "project_address", "amount", "nonce", "deleted_at"]
    list_filter = ["epoch"]
    search_fields = ["user__address", "project_address"]


@admin.register(AllocationRequest)
class AllocationRequestAdmin(ReadOnlyAdmin):
    list_display = ["epoch", "user", "nonce", "leverage", "is_manually_edited", "timestamp"]
    list_filter = ["epoch"]
    search_fields = ["user__address"]


@admin.register(UniquenessQuotient)
class UniquenessQuotientAdmin(ReadOnlyAdmin):
    list_display = ["epoch", "user", "score"]
    list_filter = ["epoch", "score"]
    search_fields = ["user__address"]


@admin.register(ProjectFunding)
class ProjectFundingAdmin(ReadOnlyAdmin):
    list_display = ["epoch", "project_address", "allocated", "sqrt_sum", "exact"]
    list_filter = ["epoch", "exact"]
