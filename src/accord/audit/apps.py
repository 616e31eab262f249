from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "accord.audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Accord's deployment checks (accord check --deploy) live with the ops helpers.
        # Django's admin has its own password-only sign-in form, which would skip allauth's
        # two-factor step: send admin sign-ins through allauth (which asks for the code).
        from allauth.account.decorators import secure_admin_login
        from django.contrib import admin

        from accord.audit import receivers
        from accord.ops import checks  # noqa: F401

        receivers.connect()

        admin.site.login = secure_admin_login(admin.site.login)
