from django.apps import AppConfig


class MultisigConfig(AppConfig):
    name = "multisig"
    verbose_name = "Safe multisig signatures"
