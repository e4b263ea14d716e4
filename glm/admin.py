from django.contrib import admin

from octant.web.admin import ADDRESS_OVERRIDES

from .models import EpochZeroClaim


@admin.register(EpochZeroClaim)
class EpochZeroClaimAdmin(admin.ModelAdmin):
    """The eligible addresses: staff add or remove them; claims and transfers are the system's."""

    formfield_overrides = ADDRESS_OVERRIDES
    fields = ["address", "claimed", "claim_nonce", "transaction_hash"]
    list_display = ["address", "claimed", "claim_nonce", "transaction_hash", "created_at"]
    list_filter = ["claimed"]
    search_fields = ["address"]
    readonly_fields = ["claimed", "claim_nonce", "transaction_hash"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (["address"] if obj and obj.claimed else [])
