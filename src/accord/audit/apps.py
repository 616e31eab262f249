from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "accord.audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Accord's deployment checks (accord check --deploy) live with the ops helpers.
        from accord.ops import checks  # noqa: F401
