from django.apps import AppConfig


class GlmConfig(AppConfig):
    name = "glm"
    verbose_name = "epoch-0 GLM claim"
