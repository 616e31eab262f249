from django.contrib import admin

from accord.audit.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["seq", "created", "event_type", "actor_repr", "target_repr"]
    list_filter = ["event_type"]
    search_fields = ["personal__email", "target_label", "event_type"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("personal")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
