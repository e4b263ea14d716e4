from datetime import UTC, datetime

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from octant.core.display import short_address
from octant.core.exceptions import OctantError
from octant.web.admin import ReadOnlyAdmin, address_html, wei_html
from projects.models import Project
from withdrawals.models import Reward

from . import selectors, services
from .models import Epoch, FinalizedEpochSnapshot, PendingEpochSnapshot


def _ts(value: int) -> str:
    return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _chain_view(request) -> selectors.ChainView:
    """The page's one read of the chain, kept on its request (its rows' states and the indexing use it)."""
    if not hasattr(request, "chain_view"):
        request.chain_view = selectors.chain_view()
    return request.chain_view


def _state_column(view: selectors.ChainView):
    @admin.display(description="state")
    def state(obj):
        try:
            return selectors.epoch_state(epoch=obj.number, view=view).name.lower()
        except OctantError:
            return "not snapshotted"

    return state


@admin.register(Epoch)
class EpochAdmin(admin.ModelAdmin):
    list_display = ["number", "starts", "ends", "window_closes", "duration", "decision_window"]  # + the state
    readonly_fields = ["number", "start", "duration", "decision_window"]  # + the state (one chain view per page)

    def changelist_view(self, request, extra_context=None):
        # list every epoch the chain has started, not only those indexed so far
        services.epochs_index(view=_chain_view(request))
        return super().changelist_view(request, extra_context)

    def get_list_display(self, request):
        return ["number", _state_column(_chain_view(request)), *self.list_display[1:]]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, _state_column(_chain_view(request))]

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

    def has_delete_permission(self, request, obj=None):
        return False  # an epoch is the chain's: never deleted here


@admin.register(PendingEpochSnapshot)
class PendingEpochSnapshotAdmin(ReadOnlyAdmin):
    glm_fields = ("total_effective_deposit",)
    labels = {"eth_proceeds": "proceeds", "total_effective_deposit": "effective deposits",
              "vanilla_individual_rewards": "individual rewards", "operational_cost": "operational cost"}
    list_display = ["epoch", "eth_proceeds", "total_effective_deposit", "total_rewards", "vanilla_individual_rewards",
                    "operational_cost", "ppf", "community_fund"]  # the locked ratio and time: in the detail


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
