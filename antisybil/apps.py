from django.apps import AppConfig


class AntisybilConfig(AppConfig):
    name = "antisybil"
    verbose_name = "antisybil (Gitcoin Passport, UQ delegation)"
