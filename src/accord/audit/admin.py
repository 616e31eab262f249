from django.contrib import admin

from accord.audit.models import Event, JournalEntry


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


@admin.register(JournalEntry)
class JournalEntryAdmin(admin.ModelAdmin):
    """Who downloaded which file, when, how many bytes (sealed into the chain in batches)."""

    list_display = ["id", "created", "event_type", "actor_id", "target_label", "bytes", "seal_seq"]
    list_filter = ["event_type"]
    search_fields = ["target_label", "event_type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
