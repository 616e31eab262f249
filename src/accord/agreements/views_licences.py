"""Custodian staff pages for granted licences: the register (who holds what), a licence's
members, entitlements and audit history, and the suspend / reinstate / revoke actions. Every
licence is fetched through a helper that 404s for other custodians' licences."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accord.core.decorators import sensitive, staff
from accord.core.errors import DomainError
from accord.core.permissions import Permission, has_custodian_permission

from . import licences_staff, selectors
from .content import policy_for, policy_member_fields
from .models import Licence
from .views import refusal

VIEW = Permission.AGREEMENTS_LICENCE_VIEW
REVOKE = Permission.AGREEMENTS_LICENCE_REVOKE


def register_filters(params) -> dict[str, str]:
    """The register's filters from a query string; unknown values mean "all"."""
    status = params.get("status", "")
    return {
        "dataset": params.get("dataset", "")[:100],
        "status": status if status in Licence.Status.values else "",
        "q": params.get("q", "").strip()[:200],
    }


def paginate(request, qs, per_page: int):
    """One page of ``qs`` and the query string of the other filters (for the page links)."""
    page = Paginator(qs, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


@staff(VIEW)
def licence_register(request):
    filters = register_filters(request.GET)
    licences = selectors.licence_register(
        request.user, dataset=filters["dataset"], status=filters["status"], search=filters["q"]
    )
    page, query = paginate(request, licences, selectors.LICENCE_PAGE_SIZE)
    return render(
        request,
        "agreements/licence_register.html",
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
    custodian_id = obj.dataset.custodian_id
    can_audit = has_custodian_permission(request.user, custodian_id, Permission.AUDIT_EVENT_VIEW)
    return render(
        request,
        "agreements/licence_staff_detail.html",
        {
            "licence": obj,
            "members": selectors.licence_members_for_staff(obj),
            "member_fields": policy_member_fields(policy_for(obj.dataset)),
            "entitlements": selectors.licence_entitlements(obj),
            "history": selectors.licence_audit_history(obj) if can_audit else None,
            "can_manage": has_custodian_permission(request.user, custodian_id, REVOKE),
            "actions": licences_staff.staff_actions(obj),
        },
    )


def _act(request, licence: str, action: str):
    obj = selectors.licence_for_staff(request.user, licence, REVOKE)
    reason = request.POST.get("reason", "")
    try:
        obj = licences_staff.licence_staff_action(
            licence=obj, actor=request.user, action=action, reason=reason
        )
    except DomainError as exc:
        refusal(request, exc)
    else:
        messages.success(
            request,
            f"Licence {obj.reference} is now {obj.get_status_display().lower()}; the signer "
            "and its members have been told by email.",
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
