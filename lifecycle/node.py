"""The local chain's node endpoints (docs/lifecycle.md §3.4, §4.4), served while CHAIN_BACKEND is local (404
otherwise): Ethereum JSON-RPC at `/rpc` (octant/chain/rpc.py) and the Octant subgraph's GraphQL at
`/subgraphs/name/octant` (octant/chain/graph.py). They live here, over the apps, because a mined transaction
is followed, as a `chain` command is, by the apps storing what the chain's ledger holds past their cursors
(deposit events, projects), so the API shows a wallet's lock at once, not at the next beat tick."""
import json
import logging

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from octant.chain.backends import get_chain
from octant.web.answers import bump

logger = logging.getLogger(__name__)


def _local(request) -> None:
    if settings.CHAIN_BACKEND != "local":
        raise Http404("The node endpoints serve the local chain only")


@csrf_exempt
def rpc(request):
    """Ethereum JSON-RPC 2.0 (a request or a batch) over POST."""
    from octant.chain import rpc as node  # lazy: web3's parts load with the first request, not every process

    _local(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        payload = json.loads(request.body)
    except ValueError:
        return JsonResponse({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}})
    body, mined = node.answer(payload)
    if mined:
        _stored()
    return HttpResponse(status=204) if body is None else JsonResponse(body, safe=False)


def _graphql(request, executor: str):
    """A GraphQL query over POST (`query`, `variables`, `operationName`), answered by `graph.<executor>`."""
    from octant.chain import graph  # lazy, as above

    _local(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        body = json.loads(request.body)
    except ValueError:
        body = None
    answer, status = getattr(graph, executor)(body)
    return JsonResponse(answer, status=status)


@csrf_exempt
def subgraph(request):
    """graph-node's query API over Octant's subgraph."""
    return _graphql(request, "execute")


@csrf_exempt
def regen_staker_subgraph(request):
    """The RegenStaker subgraph's `deposits` (none on the local chain), which the web client also asks."""
    return _graphql(request, "execute_regen_staker")


def _stored() -> None:
    """After the commit: a failure here leaves the mined transaction's answer a success (the beat tick stores
    what this could not)."""
    from lifecycle.management.commands.chain import sync  # lazy, as above

    try:
        sync(get_chain())
    except Exception:
        logger.exception("rpc: storing the mined transaction's events failed; the tick will")
    bump()
