"""OpenAPI schema touches: path parameters are declared as plain strings in the URLconf (so a bad value
gets the reference's 400 message, not a 404); the schema says what a valid one looks like."""
from octant.core import exceptions

from .api import ADDRESS_PATTERN, MAX_EPOCH

ADDRESS = {"type": "string", "pattern": ADDRESS_PATTERN, "example": "0x" + "ab" * 20}
EPOCH = {"type": "integer", "minimum": 0, "maximum": MAX_EPOCH}


def describe_path_parameters(result, generator, request, public):
    """drf-spectacular postprocessing hook: address and epoch path parameters get their formats."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") != "path":
                    continue
                if parameter["name"].endswith("_address"):
                    parameter["schema"] = dict(ADDRESS)
                elif parameter["name"].startswith("epoch"):
                    parameter["schema"] = dict(EPOCH)
    return result


NO_NULL_CHARACTER = "^[^\\x00]*$"
NOT_BLANK = "^[^\\x00]*[^\\s\\x00][^\\x00]*$"  # DRF trims the spaces around a text before it checks it


def describe_text_fields(result, generator, request, public):
    """drf-spectacular postprocessing hook: a text field of a request body says what DRF's CharField refuses
    in any text: the null character, and (unless it may be blank) a text of spaces only. A field with a
    pattern of its own says more already."""
    for name, schema in result.get("components", {}).get("schemas", {}).items():
        if not name.endswith("Request"):
            continue
        for field in schema.get("properties", {}).values():
            if field.get("type") == "string" and not {"pattern", "enum", "format"} & set(field):
                field["pattern"] = NOT_BLANK if field.get("minLength") else NO_NULL_CHARACTER
    return result


ERROR_RESPONSES = {
    "400": "Invalid input (validation errors list each field in `errors`) or a refused action",
    "403": "Not allowed now (outside the allocation window, patron mode, a missing trigger token)",
    "404": "Not found (an unknown user, budget or epoch)",
    "409": "Conflicts with the epoch's state (a snapshot missing or out of order, an epoch already frozen)",
    "429": "Too many requests from this client: wait for Retry-After seconds",
}
BODY_TOO_LARGE = "Request body over MAX_REQUEST_BYTES"
BODY_TOO_SLOW = "Request body not received within REQUEST_BODY_TIMEOUT seconds"
SAMPLE_ADDRESS = "0xAb5801a7D398351b8bE11C439e05C5B3259aeC9B"


def _example(summary: str, body: dict) -> dict:
    return {"summary": summary, "value": body}


# What the answers of each status say (the domain errors' own texts), shown in Swagger UI instead of the
# schema's placeholders; the 400's validation example names a field of the operation (`_invalid_field`).
EXAMPLES = {
    "400": {"refused": _example("a refused action", {"message": exceptions.InvalidEpoch().text})},
    "403": {"refused": _example("outside the allocation window",
                                {"message": exceptions.AllocationWindowClosed().text})},
    "404": {"not_found": _example("an unknown user", {"message": exceptions.UserNotFound(SAMPLE_ADDRESS).text})},
    "409": {"conflict": _example("no snapshot yet", {"message": exceptions.MissingSnapshot().text})},
    "413": {"too_large": _example("a body over the limit",
                                  {"message": "Request body too large: at most 1000000 bytes"})},
    "408": {"too_slow": _example("a body too slow", {"message": "Request body not received within 30 s"})},
    "429": {"throttled": _example("over the rate", {"message": "Request was throttled. Expected available in "
                                                               "12 seconds."})},
}


def _invalid_field(operation: dict, schemas: dict) -> tuple[str, str] | None:
    """(field, message) of a validation error this operation can answer: its first parameter, or its body's
    first required property; None when it takes no input."""
    names = [(parameter["name"], parameter.get("schema", {}), parameter["in"])
             for parameter in operation.get("parameters", [])]
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    body = schemas.get(body.get("$ref", "").rsplit("/", 1)[-1], body)
    names += [(name, schema, "body") for name, schema in body.get("properties", {}).items()
              if name in body.get("required", [])]
    if not names:
        return None
    name, schema, place = names[0]
    field = name.split("_")[0] + "".join(part.title() for part in name.split("_")[1:])  # the wire's camelCase
    if schema.get("pattern") == ADDRESS_PATTERN:
        return field, "Invalid address: 0x12"
    if schema.get("type") == "integer":
        return field, "Must be an integer, got 'x'"
    return field, "This query parameter is required." if place == "query" else "This field is required."


def document_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents the error answers of the one exception
    handler, `{"message": ..., "errors"?: {...}}`, with examples of real answers, and operations with a body
    the 413 of the size limit and the 408 of the body timeout."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = {"type": "object", "required": ["message"], "properties": {
        "message": {"type": "string", "example": exceptions.InvalidEpoch().text},
        "errors": {"type": "object", "description": "the invalid fields, each with its problems",
                   "additionalProperties": {"type": "array", "items": {"type": "string"}},
                   "example": {"userAddress": ["Invalid address: 0x12"]}}}}
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            errors = dict(ERROR_RESPONSES)
            if method in ("post", "put", "patch"):
                errors["413"] = BODY_TOO_LARGE
                errors["408"] = BODY_TOO_SLOW
            for status, description in errors.items():
                examples = dict(EXAMPLES[status])
                invalid = _invalid_field(operation, schemas) if status == "400" else None
                if invalid:
                    field, message = invalid
                    examples = {"invalid": _example(f"an invalid {field}", {
                        "message": f"Invalid request: {field}: {message}", "errors": {field: [message]}}), **examples}
                content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"},
                                                "examples": examples}}
                operation["responses"].setdefault(status, {"description": description, "content": content})
    return result
