from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_site(sender, using="default", **kwargs) -> None:
    """allauth names the site in every email ("Hello from example.com!") from the sites
    framework; keep that row in step with ACCORD_SITE_NAME / ACCORD_SITE_URL."""
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.contrib.sites.models import Site

    domain = urlsplit(settings.SITE_URL).netloc or "localhost"
    Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain, "name": settings.SITE_NAME}
    )


class CoreConfig(AppConfig):
    name = "accord.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_sync_site, sender=self, dispatch_uid="accord-core-sync-site")
