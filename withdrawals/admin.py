from django.contrib import admin

from octant.core.admin import ReadOnlyAdmin

from .models import Reward


@admin.register(Reward)
class RewardAdmin(ReadOnlyAdmin):
    list_display = ["epoch", "address", "amount", "matched"]
    list_filter = ["epoch"]
    search_fields = ["address"]
