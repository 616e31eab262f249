from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import ngettext

from accord.accounts.models import ApiToken, Erasure, User
from accord.accounts.services import password_change_apply


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name",)}),
        ("Rights", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    filter_horizontal = ["groups"]

    def user_change_password(self, request, id, form_url=""):
        """A password set here shuts out the old one like a change by the person does (tokens
        revoked, sessions ended, the person emailed); Django's own view knows nothing of it."""
        user = User.objects.filter(pk=id).first() if str(id).isdigit() else None
        before = user.password if user is not None else None
        response = super().user_change_password(request, id, form_url)
        if user is not None and request.method == "POST":
            user.refresh_from_db()
            if user.password != before:
                revoked = password_change_apply(user=user, how="admin", actor=request.user)
                messages.info(
                    request,
                    ngettext(
                        "%(count)d API token of %(user)s was revoked and their other sessions "
                        "ended; they were emailed.",
                        "%(count)d API tokens of %(user)s were revoked and their other sessions "
                        "ended; they were emailed.",
                        revoked,
                    )
                    % {"count": revoked, "user": user.email},
                )
        return response


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "scope", "expires_at", "revoked_at", "last_used_at"]
    readonly_fields = ["prefix", "token_hash", "last_used_at"]
    search_fields = ["user__email", "name", "prefix"]


@admin.register(Erasure)
class ErasureAdmin(admin.ModelAdmin):
    """What was erased and when, never the erased values; read-only (erasure is the person's
    own action, through accord.accounts.services_privacy)."""

    list_display = ["pseudonym", "created", "requested_by"]
    readonly_fields = ["user", "pseudonym", "requested_by", "counts", "documents", "custodians"]
    search_fields = ["pseudonym"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
