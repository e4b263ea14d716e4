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
