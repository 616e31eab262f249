"""The catalogue in Django's admin. Staff roles, datasets, subjects, publication rules and
licence versions are saved through catalog.services_staff (so every change is checked and
audited, with the signed-in administrator as actor); published licence versions and
withdrawn subjects are read-only; none of them can be deleted here. Variants, files and
citations are still edited directly."""

from __future__ import annotations

from allauth.core.exceptions import ReauthenticationRequired
from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.utils.translation import gettext, gettext_lazy, ngettext

from accord.catalog import services_staff as services
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
from accord.core.decorators import recently_authenticated
from accord.core.errors import DomainError


def require_recent_sign_in(request) -> None:
    """Roles, withdrawals and publishing terms are sensitive, as on the staff pages: allauth
    asks for the password (or code) again and then replays the request."""
    if not recently_authenticated(request):
        raise ReauthenticationRequired()


class ServiceAdmin(admin.ModelAdmin):
    """A refusal from a service (a domain rule the form cannot know) rolls the whole save
    back and is shown as a message on the same page."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting would bypass the services and erase what licences and the trail refer to.
        return False


def _mark_saved(obj, saved) -> None:
    """Point the admin's unsaved instance at the row a service created."""
    obj.pk = saved.pk
    obj._state.adding = False


# --- Custodians and their staff ---------------------------------------------------------------


class StaffInline(admin.TabularInline):
    model = CustodianStaff
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role"]


@admin.register(Custodian)
class CustodianAdmin(ServiceAdmin):
    list_display = ["name", "short_name", "country", "contact_email"]
    search_fields = ["name", "short_name"]
    prepopulated_fields = {"slug": ["short_name"]}
    inlines = [StaffInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not CustodianStaff:
            return super().save_formset(request, form, formset, change)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        wanted: list[tuple] = []  # (user, role or None)
        for f in formset.forms:
            old_user = f.initial.get("user")
            deleting = formset.can_delete and f.cleaned_data.get("DELETE")
            if old_user is not None and (deleting or "user" in f.changed_data):
                wanted.append((CustodianStaff.objects.get(pk=f.instance.pk).user, None))
            if deleting or not f.has_changed():
                continue
            wanted.append((f.cleaned_data["user"], f.cleaned_data["role"]))
        if not wanted:
            return
        require_recent_sign_in(request)
        # Grant administrators first and take roles away last, so the custodian is never
        # left without one half-way through.
        wanted.sort(key=lambda w: (w[1] != CustodianStaff.Role.ADMIN, w[1] is None))
        for user, role in wanted:
            membership = services.staff_set_role(
                custodian=form.instance, user=user, role=role, actor=request.user
            )
            if membership is not None:
                formset.changed_objects.append((membership, ["role"]))

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting a custodian would take its staff's roles away without a trace.
        return False


# --- Datasets ---------------------------------------------------------------------------------


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    fields = ["slug", "name", "release", "position"]


@admin.register(Dataset)
class DatasetAdmin(ServiceAdmin):
    list_display = ["name", "slug", "custodian", "is_published", "requires_affiliated_email"]
    list_filter = ["custodian", "is_published"]
    search_fields = ["name", "slug"]
    inlines = [VariantInline]

    def get_readonly_fields(self, request, obj=None):
        # Licences, storage paths and links name the slug and the custodian.
        return ["custodian", "slug"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        values = {f: form.cleaned_data[f] for f in services.DATASET_FIELDS if f in form.fields}
        if change:
            services.dataset_update(dataset=obj, actor=request.user, **values)
        else:
            saved = services.dataset_create(
                custodian=form.cleaned_data["custodian"],
                slug=form.cleaned_data["slug"],
                actor=request.user,
                **values,
            )
            _mark_saved(obj, saved)


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "dataset", "release"]
    list_filter = ["dataset"]
    # The release label moves with the release record (a consent withdrawal publishes the
    # next one); the path patterns are checked by Variant.clean when saved here.
    readonly_fields = ["release"]


@admin.register(DataFile)
class DataFileAdmin(admin.ModelAdmin):
    list_display = ["path", "variant", "size", "sha256", "scan_status"]
    list_filter = ["variant", "scan_status"]
    search_fields = ["path", "sha256"]
    readonly_fields = ["size", "sha256", "storage_name", "subject", "shared", "retired_at"]


# --- Subjects and publication rules -----------------------------------------------------------


class SubjectForm(forms.ModelForm):
    class Meta:
        model = Subject
        fields = ["dataset", "code", "status", "withdrawn_at", "withdrawal_reason"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        withdrawing = cleaned.get("status") == Subject.Status.WITHDRAWN
        if withdrawing and not (cleaned.get("withdrawal_reason") or "").strip():
            self.add_error(
                "withdrawal_reason",
                gettext("Say why consent was withdrawn; it is kept for your records only."),
            )
        if not withdrawing and (cleaned.get("withdrawal_reason") or cleaned.get("withdrawn_at")):
            self.add_error(
                "status",
                gettext(
                    "To withdraw this subject, set the status to “Consent withdrawn”; "
                    "otherwise leave the date and reason empty."
                ),
            )
        return cleaned


@admin.register(Subject)
class SubjectAdmin(ServiceAdmin):
    form = SubjectForm
    list_display = ["code", "dataset", "status", "withdrawn_at"]
    list_filter = ["dataset", "status"]
    search_fields = ["code"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["dataset", "code"]
        return ["dataset", "code", "status", "withdrawn_at", "withdrawal_reason"]

    def get_readonly_fields(self, request, obj=None):
        return ["dataset", "code"] if obj is not None else []

    def has_change_permission(self, request, obj=None) -> bool:
        # A withdrawal is final here; what follows it is the consent-withdrawal process.
        # Asked of the stored row: on a refused form, ``obj`` holds the submitted status.
        if (
            obj is not None
            and Subject.objects.filter(pk=obj.pk, status=Subject.Status.WITHDRAWN).exists()
        ):
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            saved = services.subject_add(
                dataset=form.cleaned_data["dataset"],
                code=form.cleaned_data["code"],
                actor=request.user,
            )
            _mark_saved(obj, saved)
        elif form.cleaned_data["status"] == Subject.Status.WITHDRAWN:
            require_recent_sign_in(request)
            services.subject_withdraw(
                subject=obj,
                reason=form.cleaned_data["withdrawal_reason"],
                withdrawn_at=form.cleaned_data["withdrawn_at"],
                actor=request.user,
            )


@admin.register(PublicationRule)
class PublicationRuleAdmin(ServiceAdmin):
    list_display = ["dataset", "variant", "mode"]
    filter_horizontal = ["subjects"]

    def get_readonly_fields(self, request, obj=None):
        return ["dataset", "variant"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        values = {f: form.cleaned_data[f] for f in services.RULE_FIELDS if f in form.fields}
        if change:
            services.publication_rule_update(rule=obj, actor=request.user, **values)
        else:
            saved = services.publication_rule_create(
                dataset=form.cleaned_data["dataset"],
                variant=form.cleaned_data.get("variant"),
                actor=request.user,
                **values,
            )
            _mark_saved(obj, saved)

    def save_related(self, request, form, formsets, change):
        """The service already set the listed subjects."""


@admin.register(RequiredCitation)
class RequiredCitationAdmin(admin.ModelAdmin):
    list_display = ["key", "dataset", "doi"]
    filter_horizontal = ["variants"]


# --- Licence versions -------------------------------------------------------------------------


class ClauseInline(admin.StackedInline):
    model = Clause
    extra = 0
    fields = ["position", "code", "title", "text", "enforcement", "how_enforced"]

    # A published version's clauses are frozen: shown, never editable.
    def has_add_permission(self, request, obj=None) -> bool:
        return not (obj is not None and obj.is_frozen) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return not (obj is not None and obj.is_frozen) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return not (obj is not None and obj.is_frozen) and super().has_delete_permission(
            request, obj
        )


@admin.register(LicenseVersion)
class LicenseVersionAdmin(ServiceAdmin):
    list_display = ["dataset", "version", "title", "status", "effective_date", "published_at"]
    list_filter = ["dataset", "status"]
    inlines = [ClauseInline]
    actions = ["publish"]

    def get_fields(self, request, obj=None):
        fields = ["title", "effective_date", "change_summary", "official_document"]
        if obj is None:
            return ["dataset", *fields]
        return ["dataset", "version", "status", "published_at", *fields]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["dataset", "version", "status", "published_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        # Published terms are what licences were granted under: read-only, here as anywhere.
        if obj is not None and obj.is_frozen:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        """Saved with its clauses in save_related: a draft is one service call."""

    def save_related(self, request, form, formsets, change):
        clauses = []
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            kept = [
                f
                for f in formset.forms
                if f.has_changed() or f.instance.pk
                if not (formset.can_delete and f.cleaned_data.get("DELETE"))
            ]
            kept.sort(key=lambda f: f.cleaned_data.get("position") or 0)
            clauses += [
                services.ClauseText(
                    code=f.cleaned_data["code"],
                    title=f.cleaned_data["title"],
                    text=f.cleaned_data["text"],
                    enforcement=f.cleaned_data["enforcement"],
                    how_enforced=f.cleaned_data.get("how_enforced", ""),
                )
                for f in kept
            ]
        document = form.cleaned_data.get("official_document")
        saved = services.licence_version_draft(
            dataset=form.cleaned_data["dataset"] if not change else form.instance.dataset,
            version=form.instance if change else None,
            actor=request.user,
            title=form.cleaned_data["title"],
            effective_date=form.cleaned_data["effective_date"],
            change_summary=form.cleaned_data["change_summary"],
            clauses=clauses,
            official_document=document if "official_document" in form.changed_data else None,
        )
        _mark_saved(form.instance, saved)

    @admin.action(description=gettext_lazy("Publish the selected drafts (freezes them)"))
    def publish(self, request, queryset):
        require_recent_sign_in(request)
        published = 0
        for version in queryset.select_related("dataset"):
            if version.is_frozen:
                continue
            try:
                services.licence_version_publish(version=version, actor=request.user)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                published += 1
        if published:
            self.message_user(
                request,
                ngettext(
                    "%(count)d licence version published; it can no longer be changed.",
                    "%(count)d licence versions published; they can no longer be changed.",
                    published,
                )
                % {"count": published},
                messages.SUCCESS,
            )
