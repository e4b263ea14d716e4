"""DRF glue shared by every app's views: input parsing and wire fields (the errors: octant.web.errors)."""
from django.conf import settings

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
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
# The schema's wei strings: at most 77 digits, all below 2**256 (the field also takes 78 digits below it)
SCHEMA_WEI_DIGITS = WEI_DIGITS - 1
ADDRESS_PATTERN = "^0x[0-9a-fA-F]{40}$"


def is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def parse_address(value: str, *, field: str = "address") -> str:
    try:
        return checksum(value)
    except ValueError:
        raise RequestValidationError({field: [f"Invalid address: {value}"]})


def parse_bool(value: str | None, *, field: str, default: bool = False) -> bool:
    """A boolean query parameter: `true` or `false` (any case; `1` and `0` too), absent: `default`."""
    if value is None:
        return default
    flag = {"true": True, "1": True, "false": False, "0": False}.get(value.lower())
    if flag is None:
        raise RequestValidationError({field: [f"Must be true or false, got {value!r}"]})
    return flag


def parse_epoch(value, *, field: str = "epochNumber") -> int:
    text = str(value)
    if not is_ascii_digits(text) or len(text) > 10:  # int() would take "١", "1_0" and " 1"
        raise RequestValidationError({field: [f"Must be an integer, got {value!r}"]})
    epoch = int(text)
    if not 0 <= epoch <= MAX_EPOCH:
        raise RequestValidationError({field: [f"Must be between 0 and {MAX_EPOCH}"]})
    return epoch


class WeiStringField(serializers.Field):
    """An integer wei amount (stored in a `octant.core.fields.WeiField`): a decimal string on the wire; input may
    be a JSON integer or numeric string."""

    default_error_messages = {
        "invalid": "Must be an integer amount in wei (a JSON integer or a decimal string).",
        "negative": "Must not be negative.",
        "too_large": "Must be below 2**256.",
        "max_value": "Must be at most {max_value}.",
    }

    def __init__(self, *, signed=False, max_value=None, **kwargs):
        self.signed, self.max_value = signed, max_value
        super().__init__(**kwargs)

    def to_representation(self, value):
        return None if value is None else str(int(value))

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, str)):
            self.fail("invalid")
        if isinstance(data, int):
            value = data
        else:
            digits = data.removeprefix("-") if self.signed else data
            if not is_ascii_digits(digits):
                self.fail("negative" if is_ascii_digits(data.removeprefix("-")) else "invalid")
            if len(digits) > WEI_DIGITS:
                self.fail("too_large")
            value = int(data)
        if value < 0 and not self.signed:
            self.fail("negative")
        if abs(value) >= 2**256:
            self.fail("too_large")
        if self.max_value is not None and value > self.max_value:
            self.fail("max_value", max_value=self.max_value)
        return value


class WeiStringFieldSchema(OpenApiSerializerFieldExtension):
    """The schema of a WeiStringField: a decimal string in answers; a decimal string or a JSON integer in
    requests, with the bounds the field checks."""

    target_class = WeiStringField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        sign, top = "-?" if self.target.signed else "", self.target.max_value
        digits = SCHEMA_WEI_DIGITS if top is None else len(str(top)) - 1  # fewer digits than the bound
        text = {"type": "string", "pattern": f"^{sign}[0-9]{{1,{digits}}}$", "example": "1000000000000000000"}
        if direction == "response":
            return {**text, "description": "integer amount in wei, as a decimal string"}
        number = {"type": "integer", "minimum": -(2**256) + 1 if self.target.signed else 0,
                  "maximum": 2**256 - 1 if top is None else top}
        return {"anyOf": [text, number], "example": "1000000000000000000",
                "description": "integer amount in wei: a decimal string, or a JSON integer"}


class IntegerInputField(serializers.IntegerField):
    """An integer as DRF's IntegerField takes it (a JSON integer or a numeric string), but only in ASCII: Python's
    int() also reads other scripts' digits ("٠", "１"), which no client sends and amounts and epochs refuse."""

    def to_internal_value(self, data):
        if isinstance(data, str) and not data.isascii():
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "pattern": ADDRESS_PATTERN, "example": "0x" + "ab" * 20})
class AddressStringField(serializers.CharField):
    """A 0x-hex address in any case; returns the EIP-55 checksum form (as `octant.core.fields.AddressField`
    stores it). Spaces around it are not trimmed: the schema's pattern has none."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

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
