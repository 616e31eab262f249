"""The custodian staff overview (what is waiting on someone: applications, signers, expiring
licences, terms not yet accepted, deletion confirmations owed) and the licensee register as CSV.
Staff of a custodian see their custodians' rows only; anyone else gets 404."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.shortcuts import render

from accord.core import clock
from accord.core.decorators import staff
from accord.core.permissions import Permission

from . import exports
from . import selectors_dashboard as dashboard
from .views import register_filters

VIEW = Permission.AGREEMENTS_LICENCE_VIEW
DEFAULT_UNCONFIRMED_DAYS = 7


def _days(raw: str | None) -> int:
    """The "signer silent for N days" threshold from the query string; bad values mean 7."""
    try:
        days = int(raw or DEFAULT_UNCONFIRMED_DAYS)
    except ValueError:
        return DEFAULT_UNCONFIRMED_DAYS
    return min(max(days, 0), 365)


@staff(VIEW)
def overview(request):
    now = clock.now()
    days = _days(request.GET.get("days"))
    unconfirmed = dashboard.section(
        dashboard.unconfirmed_signers(request.user, submitted_before=now - dt.timedelta(days=days))
    )
    return render(
        request,
        "licences/overview.html",
        {
            "now": now,
            "days": days,
            "waiting": dashboard.section(dashboard.waiting_applications(request.user)),
            "unconfirmed": unconfirmed,
            "resendable": dashboard.resendable(request.user, unconfirmed.rows),
            "expiring": dashboard.section(dashboard.expiring_licences(request.user, now=now)),
            "terms": dashboard.section(dashboard.pending_terms_changes(request.user)),
            "attestations": dashboard.section(dashboard.outstanding_attestations(request.user)),
        },
    )


@staff(VIEW)
def register_csv(request):
    filters = register_filters(request.GET)
    lines = exports.licence_register_export(actor=request.user, filters=filters)
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    response = HttpResponse("".join(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="accord-licences-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
