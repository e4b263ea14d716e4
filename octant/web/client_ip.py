"""The client's IP address: the one rule the throttles (HTTP and websocket writes), the open websockets' limit,
the admin login lockout (django-axes) and the address stored with a terms-of-service consent or a multisig
signature all use.

The socket peer (REMOTE_ADDR) is the client, unless NUM_PROXIES proxies stand in front of the server and the
peer is one of them (its address in TRUSTED_PROXIES): then the client is the NUM_PROXIES-th address from the
right of X-Forwarded-For. Each proxy appends the address it was reached from, so the entries further left
are whatever the client sent and never count; a request that reaches the server without passing a trusted
proxy cannot choose its address by sending the header. X-Real-IP is never read."""
import ipaddress
from functools import lru_cache

from django.conf import settings


def client_ip(request) -> str:
    """`request`: a Django HttpRequest, a DRF Request or an ASGI scope (a websocket's)."""
    if isinstance(request, dict):
        peer = str(request["client"][0]) if request.get("client") else ""
        header = b",".join(value for name, value in request.get("headers", ()) if name == b"x-forwarded-for")
        header = header.decode("latin-1")
    else:
        peer, header = request.META.get("REMOTE_ADDR") or "", request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = settings.NUM_PROXIES
    if hops and _trusted(peer, tuple(settings.TRUSTED_PROXIES)):
        forwarded = [entry.strip() for entry in header.split(",")]
        forwarded = [entry for entry in forwarded if entry]
        if forwarded:  # fewer entries than proxies: the request skipped the outer ones; the first is its peer's
            address = _address(forwarded[-min(hops, len(forwarded))])
            if address:
                return address
    return peer or "unknown"


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _trusted(peer: str, proxies: tuple[str, ...]) -> bool:
    address = _address(peer)
    return address is not None and any(ipaddress.ip_address(address) in network for network in _networks(proxies))


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> list:
    return [ipaddress.ip_network(proxy, strict=False) for proxy in proxies]
