from django.contrib import admin

from octant.web.admin import ReadOnlyAdmin

from .models import PassportListEntry, PassportStamps, ScoreDelegation


@admin.register(PassportListEntry)
class PassportListEntryAdmin(admin.ModelAdmin):
    list_display = ["address", "kind", "mainnet", "created_at"]
    list_filter = ["kind", "mainnet"]
    search_fields = ["address"]
    fields = ["kind", "address", "mainnet"]


@admin.register(PassportStamps)
class PassportStampsAdmin(ReadOnlyAdmin):
    list_display = ["user", "score", "expires_at", "created_at"]
    search_fields = ["user__address"]


@admin.register(ScoreDelegation)
class ScoreDelegationAdmin(ReadOnlyAdmin):
    list_display = ["hashed_addr", "created_at"]
