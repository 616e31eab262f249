"""Admin: custodians edit each dataset's access policy here (form fields, member fields, the
naming rule). Applications and licences are read-only here: their changes go through the
review pages and services so every change is audited."""

from django.contrib import admin

from .models import (
    AccessPolicy,
    Application,
    ApplicationField,
    Licence,
    LicenceMember,
    MemberField,
)


class ApplicationFieldInline(admin.TabularInline):
    model = ApplicationField
    extra = 0


class MemberFieldInline(admin.TabularInline):
    model = MemberField
    extra = 0


@admin.register(AccessPolicy)
class AccessPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "dataset",
        "signer_title_required",
        "members_allowed",
        "publications_required",
        "stored_filename_rule",
    ]
    inlines = [ApplicationFieldInline, MemberFieldInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["reference", "dataset", "state", "signer_email", "submitted_at"]
    list_filter = ["state", "dataset"]
    search_fields = ["reference", "signer_email", "signer_name", "applicant_email"]


@admin.register(Licence)
class LicenceAdmin(ReadOnlyAdmin):
    list_display = ["reference", "dataset", "signer", "status", "granted_at"]
    list_filter = ["status", "dataset"]


@admin.register(LicenceMember)
class LicenceMemberAdmin(ReadOnlyAdmin):
    list_display = ["email", "licence", "status", "accepted_at", "removed_at"]
    list_filter = ["status"]
