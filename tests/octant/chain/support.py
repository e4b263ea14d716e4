"""The ethereum backend's peers in tests: our contracts on an in-process EVM behind JSON-RPC on 127.0.0.1 and
a subgraph GraphQL server mirroring its events (octant.chain.devpeers)."""
from octant.chain import backends
from octant.chain.devpeers import ETH, GLM, Deployment  # noqa: F401


def use(deployment: Deployment, settings) -> None:
    """Point the Django settings (pytest-django's `settings` fixture) and the backend registry at it."""
    for name, value in deployment.settings().items():
        setattr(settings, name, value)
    backends._instances.pop("ethereum", None)
