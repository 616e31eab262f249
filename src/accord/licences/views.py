"""Licence pages. The signer's: a licence's members, inviting and removing them; an invited
person's acceptance of the terms. Custodian staff's: the register (who holds what), a
licence's members, entitlements and audit history, and the suspend / reinstate / revoke
actions. Every licence is fetched through a selector that 404s for anyone else's licence."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accord.access import policy
from accord.agreements.content import policy_for, policy_member_fields
from accord.catalog.selectors import clauses_read_in
from accord.core.decorators import sensitive, signed_in, staff
from accord.core.errors import DomainError
from accord.core.pages import paginate, refusal
from accord.core.pages_uncounted import IdsFirst
from accord.core.permissions import Permission

from . import selectors, services, states
from .forms import MemberForm
from .models import Licence

VIEW = Permission.AGREEMENTS_LICENCE_VIEW
REVOKE = Permission.AGREEMENTS_LICENCE_REVOKE
MEMBERS_PAGE_SIZE = 50  # a licence's members (and, for staff, its entitlements) per page


# --- The signer and the members -------------------------------------------------------------


@signed_in
def licence_detail(request, reference: str):
    licence = selectors.licence_for_signer(request.user, reference)
    member_fields = policy_member_fields(policy_for(licence.dataset))
    form = MemberForm(request.POST or None, member_fields=member_fields)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.licence_member_add(
                licence=licence,
                actor=request.user,
                full_name=form.cleaned_data["full_name"],
                email=form.cleaned_data["email"],
                extra=form.extra(),
            )
        except DomainError as exc:
            refusal(request, exc)
        else:
            messages.success(request, _("%(email)s was invited.") % {"email": member.email})
            return redirect("agreements:licence_detail", reference)
    return render(
        request,
        "licences/licence_detail.html",
        {
            "licence": licence,
            "members": paginate(
                request,
                licence.members.order_by("full_name", "pk"),
                MEMBERS_PAGE_SIZE,
                param="members_page",
            )[0],
            "member_fields": member_fields,
            "form": form,
            "policy": policy_for(licence.dataset),
        },
    )


@require_POST
@signed_in
def licence_member_remove(request, reference: str, member_id: int):
    licence = selectors.licence_for_signer(request.user, reference)
    member = get_object_or_404(licence.members, pk=member_id)
    try:
        services.licence_member_remove(licence=licence, member=member, actor=request.user)
    except DomainError as exc:
        refusal(request, exc)
    else:
        messages.success(
            request,
            _("%(email)s was removed; their access ended now.") % {"email": member.email},
        )
    return redirect("agreements:licence_detail", reference)


@require_POST
@signed_in
def licence_member_resend(request, reference: str, member_id: int):
    licence = selectors.licence_for_signer(request.user, reference)
    member = get_object_or_404(licence.members, pk=member_id)
    try:
        services.licence_member_resend(licence=licence, member=member, actor=request.user)
    except DomainError as exc:
        refusal(request, exc)
    else:
        messages.success(
            request, _("The invitation was sent to %(email)s again.") % {"email": member.email}
        )
    if request.POST.get("back") == "home":
        return redirect("agreements:my_applications")
    return redirect("agreements:licence_detail", reference)


@signed_in
def member_accept(request, member_id: int):
    member = selectors.membership_for(request.user, member_id)
    licence = member.licence
    fields = policy_member_fields(policy_for(licence.dataset))
    if request.method == "POST":
        if not request.POST.get("accept"):
            messages.error(request, _("Tick the box to accept the terms, or close this page."))
        else:
            extra = {f.key: request.POST.get(f"extra_{f.key}", "") for f in fields}
            try:
                services.licence_member_accept(member=member, actor=request.user, extra=extra)
            except DomainError as exc:
                refusal(request, exc)
            else:
                messages.success(
                    request,
                    _("You joined licence %(reference)s.") % {"reference": licence.reference},
                )
                return redirect("agreements:my_applications")
    return render(
        request,
        "licences/member_accept.html",
        {
            "member": member,
            "licence": licence,
            "clauses": clauses_read_in(licence.license_version.clauses.all()),
            "fields": [(f, member.extra.get(f.key, "")) for f in fields],
        },
    )


# --- Custodian staff: the register and the actions -----------------------------------------


def register_filters(params) -> dict[str, str]:
    """The register's filters from a query string; unknown values mean "all"."""
    status = params.get("status", "")
    return {
        "dataset": params.get("dataset", "")[:100],
        "status": status if status in Licence.Status.values else "",
        "q": params.get("q", "").strip()[:200],
    }


@staff(VIEW)
def licence_register(request):
    filters = register_filters(request.GET)
    licences = selectors.licence_register(
        request.user, dataset=filters["dataset"], status=filters["status"], search=filters["q"]
    )
    # Counting the register is cheap (no annotations); its page's rows are read by id.
    page, query = paginate(request, IdsFirst(licences), selectors.LICENCE_PAGE_SIZE)
    return render(
        request,
        "licences/licence_register.html",
        {
            "page": page,
            "query": query,
            "filters": filters,
            "datasets": selectors.licence_datasets(request.user),
            "statuses": Licence.Status.choices,
        },
    )


@staff(VIEW)
def licence_staff_detail(request, licence: str):
    obj = selectors.licence_for_staff(request.user, licence, VIEW)
    can_audit = policy.can_read_audit_trail(request.user, obj.dataset.custodian_id)
    return render(
        request,
        "licences/licence_staff_detail.html",
        {
            "licence": obj,
            "members": paginate(
                request,
                selectors.licence_members_for_staff(obj),
                MEMBERS_PAGE_SIZE,
                param="members_page",
            )[0],
            "member_fields": policy_member_fields(policy_for(obj.dataset)),
            "entitlements": paginate(
                request,
                selectors.licence_entitlements(obj),
                MEMBERS_PAGE_SIZE,
                param="entitlements_page",
            )[0],
            "history": selectors.licence_audit_history(obj) if can_audit else None,
            "can_manage": policy.can_manage(request.user, obj),
            "actions": states.staff_actions(obj),
        },
    )


def _act(request, licence: str, action: str):
    obj = selectors.licence_for_staff(request.user, licence, REVOKE)
    reason = request.POST.get("reason", "")
    try:
        obj = services.licence_staff_action(
            licence=obj, actor=request.user, action=action, reason=reason
        )
    except DomainError as exc:
        refusal(request, exc)
    else:
        messages.success(
            request,
            _(
                "Licence %(reference)s is now %(status)s; the signer and its members have been "
                "told by email."
            )
            % {"reference": obj.reference, "status": obj.get_status_display().lower()},
        )
    return redirect("agreements:licence_staff_detail", obj.reference)


@require_POST
@sensitive
@staff(REVOKE)
def licence_revoke(request, licence: str):
    return _act(request, licence, "revoke")


@require_POST
@sensitive
@staff(REVOKE)
def licence_suspend(request, licence: str):
    return _act(request, licence, "suspend")


@require_POST
@sensitive
@staff(REVOKE)
def licence_reinstate(request, licence: str):
    return _act(request, licence, "reinstate")
