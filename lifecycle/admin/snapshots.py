"""A finalized snapshot with its projects' rewards (allocated, matched) and their chart."""
from django.contrib import admin
from django.utils.html import format_html, format_html_join

from epochs.models import FinalizedEpochSnapshot
from octant.web.admin import ReadOnlyAdmin, address_html, count_text, wei_html
from octant.core.display import short_address
from projects.models import Project
from withdrawals.models import Reward


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
            "<tbody>{}</tbody><tfoot><tr><th></th><th>{}</th><th style=\"text-align:right\">{}</th>"
            "<th style=\"text-align:right\">{}</th><th style=\"text-align:right\">{}</th></tr></tfoot></table></div>",
            format_html_join("", '<tr><td>{}</td><td>{}</td><td style="text-align:right">{}</td>'
                                 '<td style="text-align:right">{}</td><td style="text-align:right">{}</td></tr>',
                             ((i, address_html(a, n), wei_html(al), wei_html(m), wei_html(al + m))
                              for i, (a, n, al, m) in enumerate(rows, 1))),
            count_text(len(rows), "project"), wei_html(total[0]), wei_html(total[1]), wei_html(total[0] + total[1]))

    @admin.display(description="allocated and matched (log scale)")
    def chart(self, obj):
        from ..charts import as_data_uri, matched_vs_allocated_png

        rows = self._rows(obj)
        if not rows:
            return "no project rewards"
        png = matched_vs_allocated_png([(n or short_address(a), al, m) for a, n, al, m in rows[:30]],
                                       title=f"Epoch {obj.epoch}: allocated and matched per project"
                                             + (" (top 30)" if len(rows) > 30 else ""))
        return format_html('<img src="{}" alt="allocated and matched per project" style="max-width:100%">',
                           as_data_uri(png))
