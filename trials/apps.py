from django.apps import AppConfig


class TrialsConfig(AppConfig):
    name = "trials"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from trials import receivers  # noqa: F401 - what a patient's change means for the trials
