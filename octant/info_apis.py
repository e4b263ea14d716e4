"""The `/info` group: version, chain info, health and sync status."""
import functools
import json
import logging
import os
import subprocess

from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView
import yaml

import octant
from epochs import selectors, services
from octant.chain.backends import get_chain
from octant.web.api import OutputSerializer

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The checkout's commit (short hash), from GIT_COMMIT or git itself; None when neither is there."""
    commit = os.environ.get("GIT_COMMIT", "").strip()
    if commit:
        return commit[:12]
    try:
        result = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=settings.BASE_DIR,
                                capture_output=True, text=True, timeout=5, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


def version_id() -> str:
    """DEPLOYMENT_ID when set, else the package version plus the git commit when known ("0.1.0+1bfd2f5...")."""
    if settings.DEPLOYMENT_ID:
        return settings.DEPLOYMENT_ID
    commit = git_commit()
    return f"{octant.__version__}+{commit}" if commit else octant.__version__


class Version(OutputSerializer):
    id = serializers.CharField()
    env = serializers.CharField()
    chain = serializers.CharField()


class VersionApi(APIView):
    @extend_schema(responses=Version)
    def get(self, request):
        env = "prod" if settings.OCTANT_ENV == "production" else "dev"
        return Response(Version({"id": version_id(), "env": env, "chain": settings.CHAIN_NAME}).data)


class SmartContract(OutputSerializer):
    name = serializers.CharField()
    address = serializers.CharField()


class ChainInfo(OutputSerializer):
    chainName = serializers.CharField(source="chain_name")
    chainId = serializers.IntegerField(source="chain_id")
    smartContracts = SmartContract(many=True, source="smart_contracts")


class ChainInfoApi(APIView):
    @extend_schema(responses=ChainInfo)
    def get(self, request):
        chain = get_chain()
        contracts = [{"name": name, "address": address} for name, address in chain.contract_addresses().items()]
        return Response(ChainInfo({"chain_name": settings.CHAIN_NAME, "chain_id": chain.chain_id(),
                                   "smart_contracts": contracts}).data)


def _check(name, probe) -> bool:
    try:
        return bool(probe())
    except Exception:  # a health probe reports, it never raises
        logger.exception("healthcheck: %s is down", name)
        return False


def _db_up() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def _redis_up() -> bool:
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2).ping()


def _chain_health() -> dict[str, bool]:
    chain = get_chain()
    health = chain.health()
    return {"blockchain": health["blockchain"] and chain.chain_id() == settings.CHAIN_ID,
            "subgraph": health["subgraph"]}


class UpDownField(serializers.CharField):
    """Whether a component is up, as "UP" or "DOWN"."""

    def to_representation(self, value):
        return "UP" if value else "DOWN"


# {component: up} of the components checked.
class Healthcheck(OutputSerializer):
    blockchain = UpDownField()
    db = UpDownField()
    subgraph = UpDownField()
    redis = UpDownField(required=False, help_text="only when REDIS_URL is configured")


class HealthcheckApi(APIView):
    @extend_schema(responses=Healthcheck)
    def get(self, request):
        try:
            chain = _chain_health()
        except Exception:  # a health probe reports, it never raises
            logger.exception("healthcheck: the chain backend is down")
            chain = {"blockchain": False, "subgraph": False}
        checks = {"blockchain": chain["blockchain"], "db": _check("db", _db_up), "subgraph": chain["subgraph"]}
        if settings.REDIS_URL:
            checks["redis"] = _check("redis", _redis_up)
        return Response(Healthcheck(checks).data, status=200 if all(checks.values()) else 500)


def _pending_status(view, last):
    if view.current <= 1:
        return "not_applicable"
    if last == view.current - 2:
        return "in_progress"
    return "done" if last == view.current - 1 else "error"


def _finalized_status(view, last):
    if view.current <= 1:
        return "not_applicable"
    if last == view.current - 2:
        return "too_early" if view.window_open else "in_progress"
    if last == view.current - 1:
        return "error" if view.window_open else "done"
    return "error"


# All null when a component is down.
class SyncStatus(OutputSerializer):
    blockchainEpoch = serializers.IntegerField(allow_null=True, source="blockchain_epoch")
    indexedEpoch = serializers.IntegerField(allow_null=True, source="indexed_epoch")
    blockchainHeight = serializers.IntegerField(allow_null=True, source="blockchain_height")
    indexedHeight = serializers.IntegerField(allow_null=True, source="indexed_height")
    pendingSnapshot = serializers.CharField(allow_null=True, source="pending_snapshot")
    finalizedSnapshot = serializers.CharField(allow_null=True, source="finalized_snapshot")


class SyncStatusApi(APIView):
    @extend_schema(responses=SyncStatus)
    def get(self, request):
        try:
            chain = get_chain()
            view = selectors.chain_view()
            services.epochs_index(view=view)  # as /epochs/indexed: what the chain has started is indexed first
            pending_last = selectors.last_pending_snapshot_epoch() or 0
            finalized_last = selectors.last_finalized_snapshot_epoch() or 0
            status = {
                "blockchain_epoch": view.current,
                "indexed_epoch": selectors.indexed_epoch(),
                "blockchain_height": chain.block_height(),
                "indexed_height": chain.indexed_height(),
                "pending_snapshot": _pending_status(view, pending_last),
                "finalized_snapshot": _finalized_status(view, finalized_last),
            }
        except Exception:
            logger.exception("sync-status: a component is down")
            return Response(SyncStatus({}).data, status=500)  # every field null (allow_null)
        return Response(SyncStatus(status).data)


# --- the websocket protocol as AsyncAPI ----------------------------------------------------------------

ASYNCAPI_FILE = "docs/websockets-api.yaml"


def _asyncapi_text() -> str:
    return (settings.BASE_DIR / ASYNCAPI_FILE).read_text(encoding="utf-8")


@require_GET
def websockets_api_yaml(request):
    """The AsyncAPI 2.6 document of the Socket.IO endpoint, as the reference serves it."""
    return HttpResponse(_asyncapi_text(), content_type="application/yaml; charset=utf-8")


def _markdown(text: str | None):
    """The document's markdown (descriptions, summaries) as HTML; HTML inside it is escaped, not rendered."""
    from markdown_it import MarkdownIt

    return mark_safe(MarkdownIt("js-default").render(text or ""))  # noqa: S308 - html off: escaped


def _pretty_json(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _payload_html(payload: dict):
    """A message's payload: its schema, then each example as pretty JSON (an example of a JSON string payload,
    `contentMediaType: application/json`, is the JSON it holds, not that JSON escaped in a string)."""
    schema = {key: value for key, value in payload.items() if key != "examples"}
    examples = payload.get("examples", [])
    if payload.get("contentMediaType") == "application/json":
        examples = [json.loads(example) if isinstance(example, str) else example for example in examples]
    parts = [format_html("<pre>{}</pre>", _pretty_json(schema))]
    parts += [format_html("<p>Example:</p><pre>{}</pre>", _pretty_json(example)) for example in examples]
    return mark_safe("".join(parts))  # noqa: S308 - each part escaped by format_html


@require_GET
def websockets_api_html(request):
    """The same document as a self-contained HTML page (no script, nothing fetched from elsewhere): its
    markdown rendered, each payload's examples as pretty JSON."""
    text = _asyncapi_text()
    spec = yaml.safe_load(text)
    channel_name, channel = next(iter(spec["channels"].items()))
    messages = spec["components"]["messages"]

    def names(operation):
        message = channel.get(operation, {}).get("message", {})
        refs = message.get("oneOf", [message])
        return [ref["$ref"].rsplit("/", 1)[-1] for ref in refs]

    rows = []
    for direction, operation in (("client → server", "publish"), ("server → client", "subscribe")):
        for name in names(operation):
            message = messages[name]
            rows.append(format_html(
                "<tr><td><code>{}</code></td><td>{}</td><td><strong>{}</strong>{}</td><td>{}</td></tr>",
                name, direction, message.get("title", ""), _markdown(message.get("summary")),
                _payload_html(message.get("payload", {}))))
    server = next(iter(spec["servers"].values()))
    page = format_html(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title><style>"
        "body{{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em}}"
        "td,th{{border:1px solid #ccc;padding:.4em;vertical-align:top;text-align:left}}"
        "table{{border-collapse:collapse}}pre{{white-space:pre-wrap;margin:0}}td p{{margin:.4em 0}}</style>"
        "</head><body><h1>{title} <small>{version}</small></h1><p>AsyncAPI {asyncapi}; source: "
        "<a href=\"websockets-api.yaml\">websockets-api.yaml</a></p>{description}"
        "<h2>Server</h2><p><code>{protocol}://{url}</code></p>{server}"
        "<h2>Messages</h2><p>Channel <code>{channel}</code>: {channel_description}</p>"
        "<table><tr><th>event</th><th>direction</th><th>what</th><th>payload</th></tr>{rows}"
        "</table><h2>Document</h2><pre>{text}</pre></body></html>",
        title=spec["info"]["title"], version=spec["info"]["version"], asyncapi=spec["asyncapi"],
        description=_markdown(spec["info"].get("description")), protocol=server["protocol"], url=server["url"],
        server=_markdown(server.get("description")), channel=channel_name,
        channel_description=channel.get("description", ""), rows=mark_safe("".join(rows)),  # noqa: S308
        text=text)
    return HttpResponse(page, content_type="text/html; charset=utf-8")
