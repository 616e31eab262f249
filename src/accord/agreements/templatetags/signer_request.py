"""What a signer following their emailed confirmation link was asked to do, for the sign-in
and sign-up pages they land on first. Only a valid link's token tells anything: a guessed
or stale URL shows the ordinary page."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import template
from django.urls import Resolver404, resolve

from accord.agreements import services
from accord.core.errors import DomainError

register = template.Library()


@register.simple_tag(takes_context=True)
def signer_request(context):
    """{dataset, applicant, email, next} when the page's ``next`` is a valid signer link."""
    request = context.get("request")
    if request is None:
        return None
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    try:
        match = resolve(urlsplit(next_url).path)
    except Resolver404:
        return None
    if match.view_name != "agreements:signer_confirm":
        return None
    try:
        application = services.application_for_signer_token(match.kwargs["token"])
    except DomainError:
        return None
    return {
        "dataset": application.dataset.name,
        "applicant": application.applicant.full_name or application.applicant.email,
        "email": application.signer_email,
        "next": next_url,
    }
