from datetime import UTC, datetime

from django.contrib import admin
from django.utils.formats import date_format

from octant.core.exceptions import OctantError
from octant.web.admin import ReadOnlyAdmin

from . import selectors, services
from .models import Epoch, PendingEpochSnapshot


def _ts(value: int) -> str:
    return date_format(datetime.fromtimestamp(value, tz=UTC), "DATETIME_FORMAT")  # the admin's one format


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
