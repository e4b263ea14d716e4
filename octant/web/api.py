"""DRF glue shared by every app's views: input parsing and wire fields (the errors: octant.web.errors)."""
from django.conf import settings

from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions as drf_exceptions
from rest_framework import serializers
from rest_framework.utils.serializer_helpers import BindingDict

from octant.core import exceptions
from octant.core.addresses import checksum
from octant.core.numeric import decimal_string

from .client_ip import client_ip
from .http import loads_camel


class RequestValidationError(drf_exceptions.ValidationError):
    """Input that fails validation outside a serializer (path parameters and the like)."""


def consent_ip(request) -> str:
    """The client's IP to store with a consent or a signature: octant.web.client_ip's rule (X-Real-IP is
    never read: a client could choose it). With X_REAL_IP_REQUIRED a request without the header is refused,
    as v2 does."""
    if settings.X_REAL_IP_REQUIRED and not request.headers.get("X-Real-IP", "").strip():
        raise exceptions.XRealIpHeaderMissing()
    return client_ip(request)


def json_loads(text):
    """json.loads as the HTTP parser does it (octant.web.http.loads_camel): snake_case keys become camelCase,
    and input nested too deep is a ValueError."""
    return loads_camel(text)


MAX_EPOCH = 2**31 - 1
WEI_DIGITS = 78  # 2**256 has 78 digits: anything longer is refused before int() sees it


def is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def parse_address(value: str, *, field: str = "address") -> str:
    try:
        return checksum(value)
    except ValueError:
        raise RequestValidationError({field: [f"Invalid address: {value}"]})


def parse_epoch(value, *, field: str = "epochNumber") -> int:
    text = str(value)
    if not is_ascii_digits(text) or len(text) > 10:  # int() would take "١", "1_0" and " 1"
        raise RequestValidationError({field: [f"Must be an integer, got {value!r}"]})
    epoch = int(text)
    if not 0 <= epoch <= MAX_EPOCH:
        raise RequestValidationError({field: [f"Must be between 0 and {MAX_EPOCH}"]})
    return epoch


@extend_schema_field({"type": "string", "pattern": "^[0-9]+$", "example": "1000000000000000000",
                     "description": "integer amount in wei, as a decimal string"})
class WeiStringField(serializers.Field):
    """An integer wei amount (stored in a `octant.core.fields.WeiField`): a decimal string on the wire; input may
    be a JSON integer or numeric string."""

    default_error_messages = {
        "invalid": "Must be an integer amount in wei (a JSON integer or a decimal string).",
        "negative": "Must not be negative.",
        "too_large": "Must be below 2**256.",
    }

    def __init__(self, *, signed=False, **kwargs):
        self.signed = signed
        super().__init__(**kwargs)

    def to_representation(self, value):
        return None if value is None else str(int(value))

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, str)):
            self.fail("invalid")
        if isinstance(data, int):
            value = data
        else:
            text = data.strip()
            digits = text.removeprefix("-") if self.signed else text
            if not is_ascii_digits(digits):
                self.fail("negative" if is_ascii_digits(text.removeprefix("-")) else "invalid")
            if len(digits) > WEI_DIGITS:
                self.fail("too_large")
            value = int(text)
        if value < 0 and not self.signed:
            self.fail("negative")
        if abs(value) >= 2**256:
            self.fail("too_large")
        return value


class IntegerInputField(serializers.IntegerField):
    """An integer as DRF's IntegerField takes it (a JSON integer or a numeric string), but only in ASCII: Python's
    int() also reads other scripts' digits ("٠", "１"), which no client sends and amounts and epochs refuse."""

    def to_internal_value(self, data):
        if isinstance(data, str) and not data.isascii():
            self.fail("invalid")
        return super().to_internal_value(data)


class AddressStringField(serializers.CharField):
    """A 0x-hex address in any case; returns the EIP-55 checksum form (as `octant.core.fields.AddressField`
    stores it)."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            return checksum(text)
        except ValueError:
            raise serializers.ValidationError(f"Invalid address: {text}")


# A serializer that only renders an answer (the one its view's `@extend_schema` names): `Out(value).data`.
# DRF deep-copies and binds a serializer's declared fields for every instance, ~85% of the cost of rendering
# a small answer (~0.4 ms for the 14 fields of `/epochs/info`). An output serializer's fields keep no state
# of an answer (no data, no context, no errors), so they are built once per class, on an instance of their
# own, and every instance renders through them. (A comment, not a docstring: drf-spectacular would put a
# docstring into the description of every schema component that inherits it.)
class OutputSerializer(serializers.Serializer):
    @property
    def fields(self):
        cls = type(self)
        fields = cls.__dict__.get("_shared_fields")
        if fields is None:
            prototype = cls()
            fields = BindingDict(prototype)
            for name, field in prototype.get_fields().items():
                fields[name] = field
            cls._shared_fields = fields
        return fields


def rows_field(serializer_class, row, **kwargs) -> serializers.Field:
    """A read-only list field whose items are `serializer_class` objects in the schema but are rendered by the
    plain function `row(*item)`: for lists that grow with the number of users, where a serializer per item
    would cost 10-20x more. A test beside each such `row` holds it equal to the serializer's rendering."""

    @extend_schema_field(serializer_class(many=True))
    class RowsField(serializers.Field):
        def to_representation(self, items):
            return [row(*item) for item in items]

    return RowsField(**kwargs)


@extend_schema_field({"type": "string", "example": "0.123", "description": "decimal number as a string"})
class DecimalStringField(serializers.Field):
    """A Decimal rendered as a JSON string (as the reference renders ratios and scores)."""

    def to_representation(self, value):
        return None if value is None else decimal_string(value)
