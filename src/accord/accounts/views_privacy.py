"""The person's own data: the "Personal data" page (export, erasure) and, for custodian staff,
the record of erasures concerning their custodians."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accord.access import policy
from accord.accounts import selectors_privacy
from accord.accounts.services_privacy import (
    ErasureRefused,
    account_erase,
    erasure_refusal,
    personal_data_export_request,
)
from accord.core.decorators import sensitive, signed_in, staff
from accord.core.pages import paginate
from accord.core.permissions import Permission

ERASURES_PAGE_SIZE = 50


class ErasureForm(forms.Form):
    email = forms.CharField(
        label=gettext_lazy("Type your email address to confirm"), max_length=254
    )
    understood = forms.BooleanField(
        label=gettext_lazy(
            "I understand that my account and my personal data will be erased and that I will "
            "not be able to sign in again."
        )
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self):
        value = self.cleaned_data["email"].strip().lower()
        if value not in selectors_privacy.addresses_of(self.user):
            raise forms.ValidationError(gettext("This is not your email address."))
        return value


def _page(request, form, status=200):
    return render(
        request,
        "accounts/personal_data.html",
        {"form": form, "refusal": erasure_refusal(request.user)},
        status=status,
    )


@signed_in
@never_cache
@require_GET
def personal_data(request):
    return _page(request, ErasureForm(user=request.user))


@signed_in
@never_cache
@require_GET
def personal_data_export(request):
    data = personal_data_export_request(user=request.user, channel="web")
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="accord-personal-data-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response


@signed_in
@sensitive
@require_http_methods(["POST"])
def personal_data_erase(request):
    form = ErasureForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        account_erase(user=request.user, actor=request.user)
    except ErasureRefused as exc:
        messages.error(request, exc.message)
        return redirect("accounts:personal_data")
    logout(request)
    messages.success(
        request, gettext("Your personal data was erased and your account closed. Goodbye.")
    )
    return redirect("/")


@staff(Permission.AGREEMENTS_APPLICATION_VIEW)
@require_GET
def erasures(request):
    records = policy.erasures_visible_to(request.user).order_by("-created", "-pk")
    page, _ = paginate(request, records, ERASURES_PAGE_SIZE)
    return render(request, "accounts/erasures.html", {"records": page})
