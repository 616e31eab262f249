"""The signer ends their licence before its term: a page that says what closing does, and the
confirmation (typing the reference, with a recent sign-in) that closes it."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accord.core.decorators import sensitive, signed_in
from accord.core.errors import DomainError
from accord.core.pages import refusal

from . import selectors, services
from .models import LicenceMember
from .services_closeout import downloaded_files


@signed_in
@sensitive
@require_http_methods(["GET", "POST"])
def licence_close(request, reference: str):
    licence = selectors.licence_for_signer(request.user, reference)
    if request.method == "POST":
        try:
            services.licence_close(
                licence=licence,
                actor=request.user,
                confirmation=request.POST.get("confirmation", ""),
                reason=request.POST.get("reason", ""),
            )
        except DomainError as exc:
            refusal(request, exc)
        else:
            messages.success(
                request,
                _(
                    "Licence %(reference)s is closed: access ended for everyone in the group. "
                    "Confirm below that the copies you hold are deleted."
                )
                % {"reference": licence.reference},
            )
            return redirect("agreements:licence_detail", reference)
    return render(
        request,
        "licences/licence_close.html",
        {
            "licence": licence,
            "members": licence.members.filter(status=LicenceMember.Status.ACTIVE).count(),
            "downloaded": downloaded_files(licence).count(),
        },
    )
