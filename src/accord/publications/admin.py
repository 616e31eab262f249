"""Admin: registered papers are read-only here; their changes (registration, visibility, a
verdict override) go through the services so every change is audited."""

from django.contrib import admin

from accord.core.admin import ReadOnlyAdmin

from .models import Publication


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    list_display = ["title", "dataset", "year", "status", "check_state", "override_state"]
    list_filter = ["status", "check_state", "override_state", "dataset"]
    search_fields = ["title", "authors", "doi"]
