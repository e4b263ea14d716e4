import pytest

from .support import Deployment, use


@pytest.fixture
def deployment(db, settings):
    """Our contracts on an in-process EVM behind JSON-RPC on 127.0.0.1, a subgraph server mirroring it, and
    CHAIN_BACKEND=ethereum pointed at both. Epoch 1 starts 100 s after the chain's clock."""
    chain = Deployment(duration=1000, window=400)
    use(chain, settings)
    yield chain
    chain.stop()
