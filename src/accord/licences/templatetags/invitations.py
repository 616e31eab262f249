"""The signed-in person's invitations still to accept, for any page that must point to them
(an approved applicant otherwise sees no data and no reason why)."""

from __future__ import annotations

from django import template

from accord.licences.selectors import pending_invitations_of

register = template.Library()


@register.simple_tag(takes_context=True)
def pending_invitations(context):
    user = context["request"].user
    if not user.is_authenticated:
        return []
    return pending_invitations_of(user)
