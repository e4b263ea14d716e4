from django.contrib import admin

from octant.web.admin import ReadOnlyAdmin

from .models import Budget, Deposit, DepositEvent, SablierStream


@admin.register(DepositEvent)
class DepositEventAdmin(ReadOnlyAdmin):
    glm_fields = ("amount", "before", "after")
    list_display = ["timestamp", "address", "type", "amount", "before", "after", "source"]
    list_filter = ["type", "source"]
    search_fields = ["address", "transaction_hash"]


@admin.register(Deposit)
class DepositAdmin(ReadOnlyAdmin):
    glm_fields = ("effective_deposit", "epoch_end_deposit")
    list_display = ["epoch", "address", "effective_deposit", "epoch_end_deposit"]
    list_filter = ["epoch"]
    search_fields = ["address"]


@admin.register(Budget)
class BudgetAdmin(ReadOnlyAdmin):
    list_display = ["epoch", "address", "amount"]
    list_filter = ["epoch"]
    search_fields = ["address"]


@admin.register(SablierStream)
class SablierStreamAdmin(ReadOnlyAdmin):
    glm_fields = ("deposit_amount", "withdrawn_amount", "intact_amount")
    list_display = ["stream_id", "recipient", "deposit_amount", "intact_amount", "end_time", "cancelled"]
    list_filter = ["cancelled"]
    search_fields = ["stream_id", "recipient"]
