"""Answers shared before Django: the busiest public reads (the live estimate, polled by every client) are
kept whole, headers and body, in each server process and sent again without entering Django, as long as
nothing has changed since.

"Nothing changed" is a generation number in Redis: every write through the HTTP API (any method but GET,
HEAD, OPTIONS) raises it before its answer goes out, and so does every finished Celery task (aggregate
rebuilds, snapshots, broadcasts, syncs) and every `chain` command. A process compares the generation with
the one it read before building its copy (one Redis read, about 0.1 ms) and builds again on any change.
What changes by the clock alone (a window opening or closing) is seen within SHARED_ANSWERS_SECONDS: a copy
is never older than that. A request with a body, credentials or a query string is never shared, and copies
are kept apart by the Origin header (CORS answers differ by origin) and the settings that change a figure
(octant.core.cache.figures_version).

Without Redis (the embedded default) or with SHARED_ANSWERS_SECONDS = 0, nothing is shared."""
import asyncio
import re
import time

from django.conf import settings

from octant.core.cache import figures_version

GENERATION_KEY = "octant:answers:generation"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# POSTed queries (the local chain's JSON-RPC and subgraph): its views bump themselves after a transaction
QUERY_PATHS = re.compile(r"/rpc|/subgraphs/name/octant")
MAX_COPIES = 64  # per process: paths times origins
MAX_BODY = 1_000_000  # bytes: big answers are not kept in memory
_sync_client = None


def enabled() -> bool:
    return bool(settings.REDIS_URL) and settings.SHARED_ANSWERS_SECONDS > 0


def bump() -> None:
    """Mark every shared answer stale (after a change that was not made through the HTTP API). A Redis error
    is ignored: the copies still expire within SHARED_ANSWERS_SECONDS."""
    global _sync_client
    if not enabled():
        return
    import redis

    try:
        if _sync_client is None:
            _sync_client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
        _sync_client.incr(GENERATION_KEY)
    except redis.RedisError:
        pass


class SharedAnswers:
    """The ASGI wrapper (octant.asgi) that serves and keeps the shared answers, and raises the generation on
    every write through the API."""

    def __init__(self, app, paths=None):
        self.app = app
        self.paths = re.compile(paths or settings.SHARED_ANSWER_PATHS)
        self.copies: dict[tuple, tuple] = {}  # (path, origin, figures) -> (generation, expires, start, body)
        self.client, self.loop = None, None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not enabled():
            return await self.app(scope, receive, send)
        if scope["method"] not in SAFE_METHODS and not QUERY_PATHS.fullmatch(scope["path"]):
            return await self.app(scope, receive, self._bumping(send))
        headers = dict(scope.get("headers") or [])
        if (scope["method"] != "GET" or scope.get("query_string") or b"authorization" in headers
                or b"cookie" in headers or b"content-length" in headers or b"transfer-encoding" in headers
                or not self.paths.fullmatch(scope["path"])):
            return await self.app(scope, receive, send)
        generation = await self._generation()
        if generation is None:  # Redis unreachable: answer without sharing
            return await self.app(scope, receive, send)
        key = (scope["path"], headers.get(b"origin"), figures_version())
        copy = self.copies.get(key)
        if copy and copy[0] == generation and copy[1] > time.monotonic():
            await send(copy[2])
            await send({"type": "http.response.body", "body": copy[3]})
            return
        await self.app(scope, receive, self._keeping(send, key, generation))

    def _bumping(self, send):
        async def bumped(message):
            if message["type"] == "http.response.start":  # the write has committed: before the client knows
                self.copies.clear()
                try:
                    await self._redis().incr(GENERATION_KEY)
                except Exception:  # noqa: BLE001 - the copies still expire; the write's answer must go out
                    pass
            await send(message)
        return bumped

    def _keeping(self, send, key, generation):
        expires = time.monotonic() + settings.SHARED_ANSWERS_SECONDS
        state = {"start": None, "body": bytearray(), "keep": True}

        async def kept(message):
            if message["type"] == "http.response.start":
                state["start"] = message
                state["keep"] = message["status"] == 200
            elif message["type"] == "http.response.body" and state["keep"]:
                state["body"] += message.get("body", b"")
                if len(state["body"]) > MAX_BODY:
                    state["keep"] = False
                elif not message.get("more_body"):
                    if len(self.copies) >= MAX_COPIES:
                        self.copies.clear()
                    self.copies[key] = (generation, expires, state["start"], bytes(state["body"]))
            await send(message)
        return kept

    def _redis(self):
        if self.client is None or self.loop is not asyncio.get_running_loop():  # a client serves one loop
            import redis.asyncio

            self.loop = asyncio.get_running_loop()
            self.client = redis.asyncio.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5,
                                                       socket_connect_timeout=0.5)
        return self.client

    async def _generation(self):
        try:
            return await self._redis().get(GENERATION_KEY) or b"0"
        except Exception:  # noqa: BLE001 - any Redis failure means: do not share
            return None
