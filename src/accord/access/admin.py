"""Entitlements in the admin: to look at only. They change through the licence services."""

from django.contrib import admin

from accord.access.models import Entitlement


@admin.register(Entitlement)
class EntitlementAdmin(admin.ModelAdmin):
    list_display = ["user", "variant", "licence", "license_version", "valid_from", "valid_until",
                    "revoked_at"]  # fmt: skip
    list_filter = ["variant__dataset", "revoked_at"]
    search_fields = ["user__email", "licence__reference", "variant__slug"]
    list_select_related = ["user", "variant", "licence", "license_version"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
