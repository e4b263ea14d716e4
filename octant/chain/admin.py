from django.contrib import admin

from . import models


@admin.register(models.LocalEpochProps)
class LocalEpochPropsAdmin(admin.ModelAdmin):
    list_display = ["index", "from_epoch", "to_epoch", "from_ts", "duration", "decision_window"]


@admin.register(models.LocalStakingProceeds)
class LocalStakingProceedsAdmin(admin.ModelAdmin):
    list_display = ["epoch", "amount"]


@admin.register(models.LocalVaultRoot)
class LocalVaultRootAdmin(admin.ModelAdmin):
    list_display = ["epoch", "root", "set_at"]


@admin.register(models.LocalPassportScore)
class LocalPassportScoreAdmin(admin.ModelAdmin):
    list_display = ["address", "score", "updated_at"]
    search_fields = ["address"]
