"""The local chain's tables; its staking proceeds freeze with the epoch's pending snapshot."""
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from epochs.selectors import epoch_has_pending_snapshot
from octant.chain import models
from octant.web.admin import ADDRESS_OVERRIDES, AmountsAdmin, ReadOnlyAdmin


@admin.register(models.LocalEpochProps)
class LocalEpochPropsAdmin(ReadOnlyAdmin):
    """The schedule is the chain's: `manage.py chain configure` changes it, never from the past."""

    list_display = ["index", "from_epoch", "to_epoch", "from_ts", "duration", "decision_window"]


class StakingProceedsForm(forms.ModelForm):
    class Meta:
        model = models.LocalStakingProceeds
        fields = ["epoch", "amount"]

    def clean_epoch(self):
        epoch = self.cleaned_data["epoch"]
        if epoch is not None and epoch_has_pending_snapshot(epoch=epoch):
            raise ValidationError(f"Epoch {epoch} is frozen: its pending snapshot exists, so its staking "
                                  "proceeds can no longer change.")
        return epoch


@admin.register(models.LocalStakingProceeds)
class LocalStakingProceedsAdmin(AmountsAdmin):
    """Editable until the epoch's pending snapshot reads them."""

    form = StakingProceedsForm
    list_display = ["epoch", "amount"]

    def _frozen(self, obj):
        return obj is not None and epoch_has_pending_snapshot(epoch=obj.epoch)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._frozen(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._frozen(obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(models.LocalVaultRoot)
class LocalVaultRootAdmin(ReadOnlyAdmin):
    """Set once by the vault job."""

    list_display = ["epoch", "root", "set_at"]


@admin.register(models.LocalPassportScore)
class LocalPassportScoreAdmin(admin.ModelAdmin):
    formfield_overrides = ADDRESS_OVERRIDES
    list_display = ["address", "score", "updated_at"]
    search_fields = ["address"]


@admin.register(models.LocalSafe)
class LocalSafeAdmin(ReadOnlyAdmin):
    list_display = ["address", "threshold", "owners", "created_at"]
    search_fields = ["address"]


@admin.register(models.LocalSafeMessage)
class LocalSafeMessageAdmin(ReadOnlyAdmin):
    """Off-chain messages the Safes' owners posted to the local Safe Transaction Service (`/api/v1/`)."""

    list_display = ["message_hash", "safe", "proposed_by", "created"]
    search_fields = ["message_hash", "safe__address"]


@admin.register(models.LocalGlmTransfer)
class LocalGlmTransferAdmin(ReadOnlyAdmin):
    glm_fields = ("amount",)
    list_display = ["nonce", "to", "amount", "transaction_hash", "timestamp"]


@admin.register(models.LocalDepositEvent)
class LocalDepositEventAdmin(ReadOnlyAdmin):
    """The local chain's ledger (`chain lock`/`unlock`, stream actions); the deposit index is stored from it."""

    glm_fields = ("amount", "before", "after")
    list_display = ["id", "address", "type", "amount", "before", "after", "timestamp", "stream", "action"]
    search_fields = ["address"]


@admin.register(models.LocalSablierStream)
class LocalSablierStreamAdmin(ReadOnlyAdmin):
    glm_fields = ("deposit_amount", "withdrawn_amount", "intact_amount")
    list_display = ["stream_id", "recipient", "deposit_amount", "intact_amount", "start_time", "end_time", "cancelled"]
    search_fields = ["stream_id", "recipient"]


@admin.register(models.LocalProject)
class LocalProjectAdmin(ReadOnlyAdmin):
    """Projects registered on the local chain (`chain project add`); staff curate them under Projects."""

    list_display = ["epoch", "address", "name", "revision"]
    search_fields = ["address", "name"]
