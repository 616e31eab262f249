"""The person's own API tokens: create (the secret is shown once), list, revoke."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accord.accounts.models import ApiToken
from accord.accounts.services import api_token_create, api_token_revoke
from accord.core.decorators import signed_in
from accord.core.pages import paginate

TOKENS_PAGE_SIZE = 50
EXPIRY_CHOICES = [
    ("30", _("30 days")),
    ("90", _("90 days")),
    ("365", _("1 year")),
    ("", _("Never")),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text=_("Where you will use it, e.g. 'lab workstation'.")
    )
    scope = forms.ChoiceField(
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        help_text=_("accord fetch needs only read access."),
    )
    expires_in = forms.ChoiceField(choices=EXPIRY_CHOICES, initial="90", required=False)


@signed_in
@never_cache
@require_http_methods(["GET", "POST"])
def tokens(request):
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["expires_in"]
        issued = api_token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_at=timezone.now() + timedelta(days=int(days)) if days else None,
        )
        # Rendered straight from the POST (not a redirect through the session) so the
        # secret is never stored anywhere; never_cache keeps it out of browser caches.
        return render(request, "accounts/token_created.html", {"issued": issued})
    mine = request.user.api_tokens.order_by("revoked_at", "-created", "-pk")
    listed, _ = paginate(request, mine, TOKENS_PAGE_SIZE)
    return render(
        request, "accounts/tokens.html", {"form": form, "tokens": listed, "now": timezone.now()}
    )


@signed_in
@require_POST
def token_revoke(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)  # 404 if not yours
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, f"Token “{token.name}” revoked; it no longer works.")
    return redirect("accounts:tokens")
