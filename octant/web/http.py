"""The JSON wire at the edges: DRF's renderer and parser as the reference's v2 app behaves (a None body is
`null`, snake_case keys are accepted), and JSON for Django's own error pages (400, 403, 404, 405, 500). Imports no DRF view, so
DRF's settings can name these classes."""
from http import HTTPStatus

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import JsonResponse
from rest_framework import exceptions, parsers, renderers
from rest_framework.utils import json as drf_json

from . import answer_files


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer, except that a `None` body is the JSON `null` (as FastAPI answers), not an empty
    body; a 204 stays empty."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if data is None and (response is None or response.status_code != 204):
            return b"null"
        return super().render(data, accepted_media_type, renderer_context)


def camelize_keys(data):
    """A copy of parsed JSON whose snake_case object keys are camelCase (`user_address` -> `userAddress`), so
    request bodies take both spellings, as the reference's models do; a camelCase key wins over its snake
    twin. Iterative: any depth the JSON parser accepted is fine."""
    def convert(value):
        if isinstance(value, dict):
            return {}
        if isinstance(value, list):
            return [None] * len(value)
        return value

    root = convert(data)
    stack = [(data, root)] if root is not data else []
    while stack:
        source, target = stack.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, value in items:
            copy = convert(value)
            if isinstance(source, dict):
                camel = _camel(key) if isinstance(key, str) else key
                if camel != key and camel in source:
                    continue
                target[camel] = copy
            else:
                target[key] = copy
            if copy is not value:
                stack.append((value, copy))
    return root


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    if not rest or not head or not all(rest):
        return key
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def camel_object(pairs):
    """`object_pairs_hook` of json.loads that builds each object with camelCase keys, as `camelize_keys`
    does, while parsing: no second walk over a large body."""
    obj = dict(pairs)
    if not any("_" in key for key in obj):
        return obj
    result = {}
    for key, value in obj.items():
        camel = _camel(key)
        if camel != key and camel in obj:
            continue
        result[camel] = value
    return result


MAX_JSON_CONTAINERS = 10_000


def loads_camel(text: str, *, camel: bool = True):
    """json.loads (NaN and Infinity refused) with camelCase keys (unless not `camel`); a text without "_" has
    no snake_case key, so it is parsed as it is. Input nested too deep for the parser is a ValueError, not a
    RecursionError."""
    # bounds the nesting depth whatever the recursion limit (py_ecc raises it to 100,000: the C parser would
    # then recurse deep enough to overflow a thread's stack); no request needs that many
    if text.count("[") + text.count("{") > MAX_JSON_CONTAINERS:
        raise ValueError(f"nested too deeply (more than {MAX_JSON_CONTAINERS} arrays and objects)")
    try:
        return drf_json.loads(text, object_pairs_hook=camel_object if camel and "_" in text else None)
    except RecursionError:
        raise ValueError("nested too deeply")


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; object keys may be snake_case (see `camelize_keys`), converted while parsing. A body
    nested too deep for the parser is a 400 like any other malformed JSON, not a 500 (RecursionError)."""

    camel = True

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return loads_camel((stream.read() if stream is not None else b"").decode(encoding), camel=self.camel)
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}")


class KeysAsSentJSONParser(JSONParser):
    """The JSON parser without the camelCase keys, for bodies whose keys are data (an EIP-712 object posted to
    the local Safe Transaction Service); the same bounds."""

    camel = False


class JSONErrorPagesMiddleware:
    """Every route answers JSON: the HTML 404 of an unknown path and the empty 405 of a wrong method (from
    Django itself, outside DRF) become `{"message": "Not Found"}` / `{"message": "Method Not Allowed"}`."""

    MESSAGES = {404: "Not Found", 405: "Method Not Allowed"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        message = self.MESSAGES.get(response.status_code)
        if message and not response.get("Content-Type", "").startswith("application/json"):
            replacement = JsonResponse({"message": message}, status=response.status_code)
            if response.has_header("Allow"):
                replacement["Allow"] = response["Allow"]
            return replacement
        return response


def _error_page(status: int, message: str | None = None) -> JsonResponse:
    return JsonResponse({"message": message or HTTPStatus(status).phrase}, status=status)


# Django's error views (handler400/403/404/500 in octant/urls.py), answering the v2 error shape.
def bad_request(request, exception):
    return _error_page(400, "Bad Request: invalid Host header" if isinstance(exception, DisallowedHost) else None)


def permission_denied(request, exception):
    return _error_page(403)


def page_not_found(request, exception):
    return _error_page(404)


def server_error(request):
    return _error_page(500)


class StreamingJSON:
    """A JSON body `{"<key>": [items...]}` sent in chunks as they are read (octant.web.http.json_list_response),
    byte for byte what DRF's renderer writes for the whole list: compact separators, no ASCII escaping."""

    def __init__(self, key: str, chunks):
        self.key = key
        self.chunks = chunks  # an iterator of lists of JSON-ready items, or of their JSON text (comma-separated)

    def __iter__(self):
        import json

        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
        yield ("{" + dumps(self.key) + ":[").encode()
        first = True
        for items in self.chunks:
            if not items:
                continue
            text = items if isinstance(items, str) else dumps(items)[1:-1]  # the items, without the brackets
            yield (text if first else "," + text).encode()
            first = False
        yield b"]}"


class ChunkedResponse(answer_files.StreamedAnswer):
    """A streamed answer whose parts are produced one at a time by a sync iterator: under ASGI each part in
    the sync thread (where the database may be read), as a plain iterator under WSGI and the test client."""

    async def __aiter__(self):
        parts = iter(self.streaming_content)
        pull = sync_to_async(next, thread_sensitive=True)
        while (part := await pull(parts, None)) is not None:
            yield part


def json_list_response(key: str, chunks, *, cache: tuple[str, str | None] | None = None):
    """A streaming `{"<key>": [...]}` answer whose chunks are produced one at a time (one database read per
    chunk, never the whole list in memory).

    With `cache` = (name, state), the answer is kept as a file per state (octant.web.answer_files):
    served from that file when one was kept in the same state (`chunks` is then never started), else
    built, streamed and kept. A state of None: not kept (the caller cannot tell the data's changes)."""
    path, kept = _kept_answer(*(cache or (None, None)))
    if kept is not None:
        getattr(chunks, "close", lambda: None)()
        return kept
    body = iter(StreamingJSON(key, chunks))
    if path is not None:
        body = answer_files.recorded(body, path=path)
    return ChunkedResponse(body, content_type="application/json")


def _kept_answer(name: str | None, state: str | None):
    """Where the JSON answer `name` built in `state` is kept (None: not to be kept, a state of None), and that
    answer as a response if one was kept (else None)."""
    path = answer_files.answer_path(name=name, key=state) if state is not None else None
    kept = answer_files.open_answer(path)
    return path, None if kept is None else answer_files.FileAnswer(kept, content_type="application/json")


def kept_json_response(*, name: str, state: str | None, build):
    """A JSON answer kept as a file per state (octant.web.answer_files): served from the file kept in
    `state`, else `build()` gives the data, rendered as the API renders every answer, kept and sent. A state
    of None: built every time."""
    from django.http import HttpResponse

    path, kept = _kept_answer(name, state)
    if kept is not None:
        return kept
    body = JSONRenderer().render(build())
    for _ in answer_files.recorded(iter([body]), path=path):  # written to the file, moved into place
        pass
    return HttpResponse(body, content_type="application/json")
