"""`/`: the front door, a small JSON map of the service for whoever opens the root URL."""
from django.http import JsonResponse


def front_door(request):
    def url(path: str, scheme: str | None = None) -> str:
        absolute = request.build_absolute_uri(path)
        return f"{scheme}:{absolute.split(':', 1)[1]}" if scheme else absolute

    websocket_scheme = "wss" if request.is_secure() else "ws"
    return JsonResponse({
        "service": "Octant backend (Django), API-compatible with Octant v2",
        "docs": url("/api/docs/"),
        "schema": url("/api/schema/"),
        "admin": url("/admin/"),
        "websocket": url("/socket.io/?EIO=4&transport=websocket", websocket_scheme),
        "healthcheck": url("/info/healthcheck"),
        "currentEpoch": url("/epochs/current"),
    }, json_dumps_params={"indent": 2})
