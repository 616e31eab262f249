from django.contrib import admin

from accord.notifications.models import OutgoingEmail, ScheduledRun


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


@admin.register(ScheduledRun)
class ScheduledRunAdmin(admin.ModelAdmin):
    """Read-only: each `accord schedule` run, what each step did and what failed."""

    list_display = ("started_at", "finished_at", "host", "results", "errors")
    readonly_fields = [f.name for f in ScheduledRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
