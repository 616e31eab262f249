"""Admin: licences and members are read-only here; their changes go through the licence pages
and services so every change is audited."""

from django.contrib import admin

from accord.core.admin import ReadOnlyAdmin

from .models import Licence, LicenceMember


@admin.register(Licence)
class LicenceAdmin(ReadOnlyAdmin):
    list_display = ["reference", "dataset", "signer", "status", "granted_at"]
    list_filter = ["status", "dataset"]


@admin.register(LicenceMember)
class LicenceMemberAdmin(ReadOnlyAdmin):
    list_display = ["email", "licence", "status", "accepted_at", "removed_at"]
    list_filter = ["status"]
