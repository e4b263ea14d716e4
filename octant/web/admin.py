"""Admin helpers shared by the apps: read-only admins, wei shown in ETH/GLM, addresses shortened, counts."""
from django.contrib import admin
from django.contrib.admin.widgets import AdminTextInputWidget
from django.template.defaultfilters import pluralize
from django.utils.html import format_html

from octant.core.display import short_address, token_amount, wei_exact
from octant.core.fields import ADDRESS_INPUT_ATTRS, AddressField, WeiField


def count_text(count: int, noun: str) -> str:
    """'1 project', '2 projects'."""
    return f"{count} {noun}{pluralize(count)}"


def wei_html(wei: int | None, symbol: str = "ETH"):
    """The amount in tokens, the exact wei on hover."""
    return format_html('<span class="wei" style="white-space:nowrap" title="{}">{}</span>', wei_exact(wei), token_amount(wei, symbol))


def address_html(address: str, name: str = ""):
    """'Name 0x1234…abcd' (or just the short address), the full address on hover."""
    if not address:
        return "—"
    if name:
        return format_html('<span class="address" title="{}">{} <small>{}</small></span>', address, name,
                           short_address(address))
    return format_html('<span class="address" title="{}"><code>{}</code></span>', address, short_address(address))


ADDRESS_OVERRIDES = {AddressField: {"widget": AdminTextInputWidget(attrs=ADDRESS_INPUT_ATTRS)}}


class AmountsAdmin(admin.ModelAdmin):
    """Shows every WeiField of the model in tokens (ETH unless listed in `glm_fields`), in lists and in
    read-only details, with the exact wei on hover and in the detail page's help line."""

    glm_fields: tuple[str, ...] = ()
    labels: dict[str, str] = {}  # shorter column titles

    def __init__(self, model, admin_site):
        self._wei_names = {f.name for f in model._meta.get_fields() if isinstance(f, WeiField)}
        for name in self._wei_names:
            field = model._meta.get_field(name)
            setattr(self, f"{name}_tokens", self._display(field, detail=False))
            setattr(self, f"{name}_detail", self._display(field, detail=True))
        super().__init__(model, admin_site)

    def _display(self, field, *, detail):
        symbol = "GLM" if field.name in self.glm_fields else "ETH"

        @admin.display(description=self.labels.get(field.name, field.verbose_name), ordering=field.name)
        def show(obj):
            value = getattr(obj, field.name)
            if detail and value is not None:
                return format_html("{} <small>({})</small>", wei_html(value, symbol), wei_exact(value))
            return wei_html(value, symbol)

        return show

    def _swap(self, names, suffix):
        return [f"{n}{suffix}" if isinstance(n, str) and n in self._wei_names else n for n in names]

    def get_list_display(self, request):
        return self._swap(super().get_list_display(request), "_tokens")

    def get_fields(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return list(dict.fromkeys(self._swap(super().get_fields(request, obj), "_detail")))
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            readonly += [f"{n}_detail" for n in self._wei_names]
        return readonly


class ReadOnlyAdmin(AmountsAdmin):
    """For rows the system writes itself (indexes, snapshots): staff look, never edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
