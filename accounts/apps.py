from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The sign-in and session receivers; the audit rows of user and authenticator changes.
        from accounts import signals, user_audit  # noqa: F401
