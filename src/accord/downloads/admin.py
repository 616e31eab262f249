"""Download links in the admin: to look at only (secrets are never stored)."""

from django.contrib import admin

from accord.downloads.models import DownloadLink


@admin.register(DownloadLink)
class DownloadLinkAdmin(admin.ModelAdmin):
    list_display = [
        "created",
        "user",
        "data_file",
        "channel",
        "expires_at",
        "all_uses",
        "all_bytes_served",
    ]
    list_filter = ["channel"]
    search_fields = ["user__email", "data_file__path"]
    list_select_related = ["user", "data_file", "data_file__variant"]
    exclude = ["secret_hash"]

    def get_queryset(self, request):
        # Uses since the download journal are journal rows (the columns hold earlier ones).
        return super().get_queryset(request).with_journal_totals()

    @admin.display(description=DownloadLink._meta.get_field("uses").verbose_name)
    def all_uses(self, link: DownloadLink) -> int:
        return link.uses + link.journal_uses

    @admin.display(description=DownloadLink._meta.get_field("bytes_served").verbose_name)
    def all_bytes_served(self, link: DownloadLink) -> int:
        return link.bytes_served + link.journal_bytes

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
