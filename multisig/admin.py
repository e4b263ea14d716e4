from django.contrib import admin

from octant.web.admin import ReadOnlyAdmin

from .models import MultisigSignature


@admin.register(MultisigSignature)
class MultisigSignatureAdmin(ReadOnlyAdmin):
    list_display = ["address", "type", "status", "safe_msg_hash", "created_at"]
    list_filter = ["type", "status"]
    search_fields = ["address", "msg_hash", "safe_msg_hash"]
