from django.apps import AppConfig


class PublicationsConfig(AppConfig):
    name = "accord.publications"
    label = "publications"
    default_auto_field = "django.db.models.BigAutoField"
