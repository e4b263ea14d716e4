from django.contrib import admin

from octant.web.admin import ReadOnlyAdmin

from .models import PatronEvent, User


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ["address", "allocation_nonce", "created_at"]
    search_fields = ["address"]


@admin.register(PatronEvent)
class PatronEventAdmin(ReadOnlyAdmin):
    list_display = ["address", "enabled", "timestamp", "created_at"]
    search_fields = ["address"]
    list_filter = ["enabled"]
