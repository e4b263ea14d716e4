from django.apps import AppConfig


class DaphneConfig(AppConfig):
    """daphne's app (its `runserver` command) without `daphne.apps`, which imports the whole Twisted server
    at start-up: every management command (`chain` among them) paid ~0.5 s for it. `runserver` and the
    `daphne` program import the server, and install its reactor, before they load the application."""

    name = "daphne"
    label = "daphne"
    verbose_name = "Daphne"
