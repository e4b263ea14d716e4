"""Admin pages that combine apps: a finalized snapshot with its projects' rewards, and the local chain's
tables (whose staking proceeds freeze with the epoch's pending snapshot)."""
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join

from epochs.models import FinalizedEpochSnapshot
from epochs.selectors import epoch_has_pending_snapshot
from octant.chain import models
from octant.core.admin import ADDRESS_OVERRIDES, AmountsAdmin, ReadOnlyAdmin, address_html, wei_html
from octant.core.display import short_address
from projects.models import Project
from withdrawals.models import Reward


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


@admin.register(FinalizedEpochSnapshot)
class FinalizedEpochSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["epoch", "matched_rewards", "patrons_rewards", "leftover", "total_withdrawals",
                    "short_root", "vault_confirmed_at"]
    fields = ["epoch", "matched_rewards", "patrons_rewards", "leftover", "total_withdrawals",
              "staking_matched_reserved_for_v2", "withdrawals_merkle_root", "vault_confirmed_at", "created_at",
              "project_rewards", "chart"]
    readonly_fields = ["project_rewards", "chart"]

    @admin.display(description="withdrawals merkle root", ordering="withdrawals_merkle_root")
    def short_root(self, obj):
        root = obj.withdrawals_merkle_root
        return format_html('<code title="{}">{}</code>', root, short_address(root)) if root else "—"

    def _rows(self, obj):
        rewards = list(Reward.objects.filter(epoch=obj.epoch, matched__isnull=False).order_by("-amount", "address"))
        names = dict(Project.objects.filter(epoch=obj.epoch, address__in=[r.address for r in rewards])
                     .values_list("address", "name"))
        return [(r.address, names.get(r.address, ""), r.amount - r.matched, r.matched) for r in rewards]

    @admin.display(description="project rewards")
    def project_rewards(self, obj):
        rows = self._rows(obj)
        if not rows:
            return "no project rewards"
        total = [sum(row[i] for row in rows) for i in (2, 3)]
        return format_html(
            '<div style="overflow-x:auto;max-width:100%"><table id="project-rewards" style="width:100%">'
            '<thead><tr><th>#</th><th>project</th><th style="text-align:right">allocated</th>'
            '<th style="text-align:right">matched</th><th style="text-align:right">total</th></tr></thead>'
            "<tbody>{}</tbody><tfoot><tr><th></th><th>{} projects</th><th style=\"text-align:right\">{}</th>"
            "<th style=\"text-align:right\">{}</th><th style=\"text-align:right\">{}</th></tr></tfoot></table></div>",
            format_html_join("", '<tr><td>{}</td><td>{}</td><td style="text-align:right">{}</td>'
                                 '<td style="text-align:right">{}</td><td style="text-align:right">{}</td></tr>',
                             ((i, address_html(a, n), wei_html(al), wei_html(m), wei_html(al + m))
                              for i, (a, n, al, m) in enumerate(rows, 1))),
            len(rows), wei_html(total[0]), wei_html(total[1]), wei_html(total[0] + total[1]))

    @admin.display(description="allocated and matched (log scale)")
    def chart(self, obj):
        from .charts import as_data_uri, matched_vs_allocated_png

        rows = self._rows(obj)
        if not rows:
            return "no project rewards"
        png = matched_vs_allocated_png([(n or short_address(a), al, m) for a, n, al, m in rows[:30]],
                                       title=f"Epoch {obj.epoch}: allocated and matched per project"
                                             + (" (top 30)" if len(rows) > 30 else ""))
        return format_html('<img src="{}" alt="allocated and matched per project" style="max-width:100%">',
                           as_data_uri(png))
