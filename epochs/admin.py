from datetime import UTC, datetime

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from octant.core.admin import ReadOnlyAdmin
from octant.core.exceptions import OctantError

from . import selectors
from .models import Epoch, FinalizedEpochSnapshot, PendingEpochSnapshot


def _ts(value: int) -> str:
    return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@admin.register(Epoch)
class EpochAdmin(admin.ModelAdmin):
    list_display = ["number", "state", "starts", "ends", "window_closes", "duration", "decision_window"]
    readonly_fields = ["number", "start", "duration", "decision_window", "state"]

    def get_queryset(self, request):
        from .services import epochs_index

        epochs_index()
        return super().get_queryset(request)

    @admin.display(description="state")
    def state(self, obj):
        try:
            return selectors.epoch_state(epoch=obj.number).name.lower()
        except OctantError:
            return "not snapshotted"

    @admin.display(description="starts")
    def starts(self, obj):
        return _ts(obj.start)

    @admin.display(description="ends")
    def ends(self, obj):
        return _ts(obj.end)

    @admin.display(description="allocation window closes")
    def window_closes(self, obj):
        return _ts(obj.finalized_at)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PendingEpochSnapshot)
class PendingEpochSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["epoch", "eth_proceeds", "total_effective_deposit", "locked_ratio", "total_rewards",
                    "vanilla_individual_rewards", "operational_cost", "ppf", "community_fund", "created_at"]


@admin.register(FinalizedEpochSnapshot)
class FinalizedEpochSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["epoch", "matched_rewards", "patrons_rewards", "leftover", "total_withdrawals",
                    "withdrawals_merkle_root", "vault_confirmed_at", "created_at"]
    readonly_fields = ["epoch", "matched_rewards", "patrons_rewards", "leftover", "total_withdrawals",
                       "staking_matched_reserved_for_v2", "withdrawals_merkle_root", "vault_confirmed_at",
                       "created_at", "project_rewards", "chart"]

    def _rows(self, obj):
        from withdrawals.models import Reward

        return [(r.address, r.amount - r.matched, r.matched) for r in
                Reward.objects.filter(epoch=obj.epoch, matched__isnull=False).order_by("-amount")]

    @admin.display(description="project rewards")
    def project_rewards(self, obj):
        rows = self._rows(obj)
        return format_html(
            "<table><tr><th>project</th><th>allocated (wei)</th><th>matched (wei)</th><th>total (wei)</th></tr>{}"
            "</table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                             ((a, al, m, al + m) for a, al, m in rows)))

    @admin.display(description="matched vs allocated")
    def chart(self, obj):
        from .charts import as_data_uri, matched_vs_allocated_png

        rows = self._rows(obj)
        if not rows:
            return "no project rewards"
        return format_html('<img src="{}" alt="matched vs allocated per project">',
                           as_data_uri(matched_vs_allocated_png(rows)))
