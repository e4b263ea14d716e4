from django import forms
from django.contrib import admin

from octant.core.addresses import checksum

from .models import EpochZeroClaim


class EpochZeroClaimForm(forms.ModelForm):
    class Meta:
        model = EpochZeroClaim
        fields = ["address"]

    def clean_address(self):
        try:
            return checksum(self.cleaned_data["address"].strip())
        except ValueError:
            raise forms.ValidationError("Not an Ethereum address")


@admin.register(EpochZeroClaim)
class EpochZeroClaimAdmin(admin.ModelAdmin):
    """The eligible addresses: staff add or remove them; claims and transfers are the system's."""

    form = EpochZeroClaimForm
    list_display = ["address", "claimed", "claim_nonce", "transaction_hash", "created_at"]
    list_filter = ["claimed"]
    search_fields = ["address"]
    readonly_fields = ["claimed", "claim_nonce", "transaction_hash"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (["address"] if obj and obj.claimed else [])
