from django.contrib import admin, messages

from . import services
from .models import Project


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "address", "epoch", "website", "metadata_cid"]
    list_filter = ["epoch"]
    search_fields = ["name", "address", "description"]
    ordering = ["-epoch", "name"]
    actions = ["copy_to_next_epoch"]

    @admin.action(description="Copy the selected projects' epochs to the next epoch")
    def copy_to_next_epoch(self, request, queryset):
        epochs = sorted(set(queryset.values_list("epoch", flat=True)))
        for epoch in epochs:
            created = services.projects_copy_to_next_epoch(epoch=epoch)
            self.message_user(request, f"Epoch {epoch}: copied {created} project(s) to epoch {epoch + 1}.",
                              messages.SUCCESS)
