"""The "Catalogue" link in the site's navigation, for staff who may edit their custodian's
catalogue (asked of access.policy, so the link and the pages agree)."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from accord.access import policy

register = template.Library()


@register.simple_tag(takes_context=True)
def catalogue_nav_link(context) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return ""
    if not policy.custodians_catalogued_by(user).exists():
        return ""
    url = reverse("catalog:staff_catalogue")
    path = request.path
    here = path == url or (path.startswith("/datasets/") and "/manage/" in path)
    return format_html(
        '<a href="{}"{}>{}</a>',
        url,
        mark_safe(' aria-current="page"') if here else "",
        gettext("Catalogue"),
    )


@register.simple_tag(takes_context=True)
def may_manage_terms(context, dataset) -> bool:
    """Whether to show the dataset's "Terms" tab: only to staff the terms page would let in."""
    user = getattr(context.get("request"), "user", None)
    return bool(getattr(user, "is_authenticated", False) and policy.can_manage_terms(user, dataset))
