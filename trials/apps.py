from django.apps import AppConfig


class TrialsConfig(AppConfig):
    name = "trials"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from trials import audit_signals  # noqa: F401 - connects the sign-in audit receivers
