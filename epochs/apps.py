from django.apps import AppConfig


class EpochsConfig(AppConfig):
    name = "epochs"
