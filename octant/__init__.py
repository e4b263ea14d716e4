"""The project package: settings, ASGI and Celery apps, the chain backends, the web plumbing, the shared core.

Kept free of imports so the pure engine modules can be used without Django or Celery; the Celery app is
loaded when Django starts (`octant.chain.apps.ChainConfig.ready`)."""

__version__ = "0.1.0"
