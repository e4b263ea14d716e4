from django.apps import AppConfig


class ChainConfig(AppConfig):
    name = "octant.chain"
    label = "chain"
    verbose_name = "Chain (local simulated chain)"

    def ready(self):
        from octant.celery import app  # noqa: F401  (makes it the current app for shared_task)
