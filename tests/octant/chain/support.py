"""The ethereum backend's peers in tests: our contracts on an in-process EVM behind JSON-RPC on 127.0.0.1 and
a subgraph GraphQL server mirroring its events (tests.peers)."""
from octant.chain import backends
from tests.peers import ETH, GLM, Deployment  # noqa: F401


def use(deployment: Deployment, settings) -> None:
    """Point the Django settings (pytest-django's `settings` fixture) and the backend registry at it."""
    for name, value in deployment.settings().items():
        setattr(settings, name, value)
    backends._instances.pop("ethereum", None)


def index_pass() -> dict:
    """One indexing pass as `manage.py index` and the tick make it (the streams aside): the deposit events and
    the projects stored by the apps' services, the backend's own tables by its `index()`."""
    from deposits.services import deposit_events_sync
    from projects.services import projects_sync

    result = {"depositEvents": deposit_events_sync(), **backends.get_chain().index()}
    result["projects"] = projects_sync(current_epoch=backends.get_chain().current_epoch())
    return result
