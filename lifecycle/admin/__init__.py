"""Admin pages that combine apps (Django imports this module to register them)."""
from . import chain, snapshots  # noqa: F401
