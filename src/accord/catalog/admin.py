from django.contrib import admin

from accord.catalog.models import (
    Clause,
    Custodian,
    CustodianStaff,
    DataFile,
    Dataset,
    LicenseVersion,
    PublicationRule,
    RequiredCitation,
    Subject,
    Variant,
)


class StaffInline(admin.TabularInline):
    model = CustodianStaff
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Custodian)
class CustodianAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "country", "contact_email"]
    search_fields = ["name", "short_name"]
    prepopulated_fields = {"slug": ["short_name"]}
    inlines = [StaffInline]


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    fields = ["slug", "name", "release", "position"]


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "custodian", "is_published", "requires_affiliated_email"]
    list_filter = ["custodian", "is_published"]
    search_fields = ["name", "slug"]
    inlines = [VariantInline]


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "dataset", "release"]
    list_filter = ["dataset"]


@admin.register(DataFile)
class DataFileAdmin(admin.ModelAdmin):
    list_display = ["path", "variant", "size", "sha256", "scan_status"]
    list_filter = ["variant", "scan_status"]
    search_fields = ["path", "sha256"]
    readonly_fields = ["size", "sha256", "storage_name"]


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ["code", "dataset", "status", "withdrawn_at"]
    list_filter = ["dataset", "status"]
    search_fields = ["code"]


@admin.register(PublicationRule)
class PublicationRuleAdmin(admin.ModelAdmin):
    list_display = ["dataset", "variant", "mode"]
    filter_horizontal = ["subjects"]


@admin.register(RequiredCitation)
class RequiredCitationAdmin(admin.ModelAdmin):
    list_display = ["key", "dataset", "doi"]
    filter_horizontal = ["variants"]


class ClauseInline(admin.StackedInline):
    model = Clause
    extra = 0


@admin.register(LicenseVersion)
class LicenseVersionAdmin(admin.ModelAdmin):
    list_display = ["dataset", "version", "title", "status", "effective_date"]
    list_filter = ["dataset", "status"]
    inlines = [ClauseInline]
