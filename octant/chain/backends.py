from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .base import ChainBackend

BACKENDS = {"local": "octant.chain.local.LocalChain", "ethereum": "octant.chain.ethereum.EthereumChain"}
_instances: dict[str, ChainBackend] = {}


def get_chain() -> ChainBackend:
    """The configured chain backend (`CHAIN_BACKEND`), one instance per process."""
    name = settings.CHAIN_BACKEND
    if name not in _instances:
        if name not in BACKENDS:
            raise ImproperlyConfigured(f"CHAIN_BACKEND must be one of {sorted(BACKENDS)}, not {name!r}")
        _instances[name] = import_string(BACKENDS[name])()
    return _instances[name]
