"""Admin: custodians edit each dataset's application rules here (form fields, member fields,
the naming rule). Applications are read-only here: their changes go through the review pages
and services so every change is audited."""

from django.contrib import admin

from accord.core.admin import ReadOnlyAdmin

from .models import Application, ApplicationField, ApplicationRules, MemberField


class ApplicationFieldInline(admin.TabularInline):
    model = ApplicationField
    extra = 0


class MemberFieldInline(admin.TabularInline):
    model = MemberField
    extra = 0


@admin.register(ApplicationRules)
class ApplicationRulesAdmin(admin.ModelAdmin):
    list_display = [
        "dataset",
        "signer_title_required",
        "members_allowed",
        "publications_required",
        "stored_filename_rule",
    ]
    inlines = [ApplicationFieldInline, MemberFieldInline]


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["reference", "dataset", "state", "signer_email", "submitted_at"]
    list_filter = ["state", "dataset"]
    search_fields = ["reference", "signer_email", "signer_name", "applicant_email"]
