from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running the app: health probes, the request log, error reporting."""

    name = "ops"
