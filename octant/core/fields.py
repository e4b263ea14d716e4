"""The model fields of the two value types of the domain.

WeiField: exact integers up to 2**256, stored as PostgreSQL NUMERIC(78, 0).

AddressField: an Ethereum address that is only ever stored valid and in its EIP-55 checksum form. Every write
path goes through it: `full_clean()` and model forms (a clear validation message), `save()` and
`bulk_create()` (`pre_save` also puts the checksum form back on the instance), and `update()` /
`bulk_update()` (`get_db_prep_save`). Lookups are left as they are, so a filter with a bad value simply
matches nothing."""
from django import forms
from django.core import checks
from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.signals import connection_created
from django.db.models import Sum, signals

from .addresses import checksum

WEI_DIGITS = 78
MAX_WEI = 2**256 - 1


class WeiField(models.Field):
    description = "Integer amount in wei (up to 2**256 - 1)"

    def __init__(self, *args, signed=False, **kwargs):
        self.signed = signed
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.signed:
            kwargs["signed"] = True
        return name, path, args, kwargs

    def db_type(self, connection):
        return f"numeric({WEI_DIGITS}, 0)"

    def get_internal_type(self):
        return "WeiField"

    def check(self, **kwargs):
        return [*super().check(**kwargs), *self._check_default()]

    def _check_default(self):
        if self.has_default() and not callable(self.default) and not isinstance(self.default, int):
            return [checks.Error("WeiField default must be an int", obj=self)]
        return []

    def to_python(self, value):
        if value is None or isinstance(value, int):
            return value
        try:
            return int(str(value))
        except (TypeError, ValueError):
            raise ValidationError(f"'{value}' is not an integer amount", code="invalid")

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return int(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or hasattr(value, "resolve_expression"):
            return value
        value = self.to_python(value)
        if not -MAX_WEI <= value <= MAX_WEI or (value < 0 and not self.signed):
            raise ValueError(f"amount out of range for {self.name}: {value}")
        return value

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": forms.IntegerField, **kwargs})


def _postgresql_bulk_insert_through_unnest(sender, connection, **kwargs):
    """Django's PostgreSQL bulk_create sends each column as one array through UNNEST, but only for fields
    whose internal type the backend knows; otherwise it falls back to one placeholder per value, about
    2.5x slower for 100,000 rows (query building and parsing, then planning a huge VALUES list). Naming
    WeiField's type lets its columns go as numeric[] (db_type minus the precision, as for DecimalField)."""
    connection.data_types.setdefault("WeiField", f"numeric({WEI_DIGITS}, 0)")


connection_created.connect(_postgresql_bulk_insert_through_unnest)


def sum_wei(queryset, field: str) -> int:
    """Exact sum of a WeiField over a queryset, 0 for none."""
    return int(queryset.aggregate(total=Sum(field))["total"] or 0)


ADDRESS_HELP = "0x followed by 40 hex digits, in any letter case; saved in its EIP-55 checksum form."


def address_checksum(value) -> str:
    """The EIP-55 form of `value`; ValidationError with a message staff can act on otherwise."""
    text = value.strip() if isinstance(value, str) else value
    if not isinstance(text, str) or not text.startswith("0x"):
        raise ValidationError(f"Enter an Ethereum address: 0x followed by 40 hex digits (got {value!r}).",
                              code="invalid_address")
    try:
        fixed = checksum(text)
    except ValueError:
        raise ValidationError(f"Enter an Ethereum address: 0x followed by 40 hex digits (got {value!r}).",
                              code="invalid_address")
    digits = text[2:]
    if fixed != text and digits not in (digits.lower(), digits.upper()):  # mixed case is a checksum claim
        raise ValidationError(f"The letter case of {text} is not its EIP-55 checksum: check the address for a "
                              "typo, or type it in lowercase.", code="bad_checksum")
    return fixed


ADDRESS_INPUT_ATTRS = {"style": "width: 27em; font-family: monospace", "spellcheck": "false", "autocomplete": "off",
                       "placeholder": "0x…"}


class AddressFormField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 42)
        kwargs.setdefault("widget", forms.TextInput(attrs=ADDRESS_INPUT_ATTRS))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value.strip() if isinstance(value, str) else value)
        return address_checksum(value) if value else value


class AddressField(models.CharField):
    description = "Ethereum address (stored EIP-55 checksummed)"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 42)
        super().__init__(*args, **kwargs)

    def clean(self, value, model_instance):
        value = super().clean(value, model_instance)
        return address_checksum(value) if value else value

    def _checked(self, value):
        if isinstance(value, str) and (value or not self.blank):
            return address_checksum(value)
        return value

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        if not cls._meta.abstract:  # check before save() opens its transaction, so a refusal leaves it usable
            signals.pre_save.connect(self._check_instance, sender=cls, weak=False)

    def _check_instance(self, sender, instance, raw=False, **kwargs):
        if not raw:
            setattr(instance, self.attname, self._checked(getattr(instance, self.attname)))

    def pre_save(self, model_instance, add):
        value = self._checked(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value

    def get_db_prep_save(self, value, connection):
        return super().get_db_prep_save(self._checked(value), connection)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": AddressFormField, **kwargs})


def checksum_stored_addresses(model, *, field: str = "address", scope: tuple[str, ...] = ()) -> None:
    """For data migrations: rewrite every valid stored address in its checksum form. A row whose checksum
    form is already stored in its `scope` (the same address typed twice in another case) is removed;
    invalid values are left for staff to correct (the admin flags them and refuses to save them as they are)."""
    for row in model.objects.order_by("pk").iterator():
        value = getattr(row, field)
        try:
            fixed = address_checksum(value)
        except ValidationError:
            continue
        if fixed == value:
            continue
        twins = model.objects.filter(**{field: fixed}, **{name: getattr(row, name) for name in scope})
        if twins.exclude(pk=row.pk).exists():
            model.objects.filter(pk=row.pk).delete()
        else:
            model.objects.filter(pk=row.pk).update(**{field: fixed})
