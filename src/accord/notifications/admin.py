from django.contrib import admin

from accord.notifications.models import OutgoingEmail


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    """Read-only: the operator sees what was sent, what failed and why."""

    list_display = ("created", "subject", "status", "attempts", "next_attempt", "sent_at")
    list_filter = ("status",)
    search_fields = ("subject",)
    readonly_fields = [f.name for f in OutgoingEmail._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
