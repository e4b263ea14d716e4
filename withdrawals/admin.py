from django.contrib import admin
from django.db.models import OuterRef, Subquery

from octant.web.admin import ReadOnlyAdmin, address_html
from projects.models import Project

from .models import Reward


@admin.register(Reward)
class RewardAdmin(ReadOnlyAdmin):
    list_display = ["epoch", "recipient", "kind", "amount", "matched"]
    list_filter = ["epoch"]
    search_fields = ["address"]

    def get_queryset(self, request):
        names = Project.objects.filter(epoch=OuterRef("epoch"), address=OuterRef("address"))
        return super().get_queryset(request).annotate(project_name=Subquery(names.values("name")[:1]))

    @admin.display(description="address", ordering="address")
    def recipient(self, obj):
        return address_html(obj.address, getattr(obj, "project_name", None) or "")

    @admin.display(description="kind")
    def kind(self, obj):
        return "user" if obj.matched is None else "project"
