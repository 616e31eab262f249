"""Download links in the admin: to look at only (secrets are never stored)."""

from django.contrib import admin

from accord.downloads.models import DownloadLink


@admin.register(DownloadLink)
class DownloadLinkAdmin(admin.ModelAdmin):
    list_display = ["created", "user", "data_file", "channel", "expires_at", "uses", "bytes_served"]
    list_filter = ["channel"]
    search_fields = ["user__email", "data_file__path"]
    list_select_related = ["user", "data_file", "data_file__variant"]
    exclude = ["secret_hash"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
