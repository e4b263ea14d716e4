"""OpenAPI schema touches: path parameters are declared as plain strings in the URLconf (so a bad value
gets the reference's 400 message, not a 404); the schema says what a valid one looks like."""
ADDRESS = {"type": "string", "pattern": "^0x[0-9a-fA-F]{40}$", "example": "0x" + "ab" * 20}
EPOCH = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}


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


ERROR_RESPONSES = {
    "400": "Invalid input (validation errors list each field in `errors`) or a refused action",
    "403": "Not allowed now (outside the allocation window, patron mode, a missing trigger token)",
    "404": "Not found (an unknown user, budget or epoch)",
    "409": "Conflicts with the epoch's state (a snapshot missing or out of order, an epoch already frozen)",
    "429": "Too many requests from this client: wait for Retry-After seconds",
}
BODY_TOO_LARGE = "Request body over MAX_REQUEST_BYTES"


def document_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents the error answers of the one exception
    handler, `{"message": ..., "errors"?: {...}}`, and operations with a body the 413 of the size limit."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = {"type": "object", "required": ["message"], "properties": {
        "message": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}}}
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            errors = dict(ERROR_RESPONSES)
            if method in ("post", "put", "patch"):
                errors["413"] = BODY_TOO_LARGE
            for status, description in errors.items():
                operation["responses"].setdefault(status, {"description": description, "content": content})
    return result
