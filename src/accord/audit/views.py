"""Staff pages of the audit trail: browse and filter their custodians' events, export them,
and download the signed checkpoints to keep elsewhere."""

from __future__ import annotations

from django.db import transaction
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from accord.access import policy
from accord.audit.checkpoints import export_chunks
from accord.audit.exports import csv_lines, json_chunks
from accord.audit.forms import EventFilterForm
from accord.audit.selectors import (
    DOWNLOAD_SESSION_GAP,
    DOWNLOAD_SESSION_TYPES,
    JOURNAL,
    DownloadSession,
    download_events,
    download_sessions,
    event_types,
    events_visible_to,
    filter_events,
    filter_journal,
    journal_visible_to,
    latest_checkpoint,
    trail_keys,
    trail_rows,
)
from accord.audit.services import audit_record
from accord.core.decorators import staff
from accord.core.pages_uncounted import paginate_uncounted
from accord.core.permissions import Permission

PAGE_SIZE = 100
# Grouping reads every matching download event and lists the sessions' rows by number; past
# this many sessions (SQLite takes at most 32766 parameters) the page shows events ungrouped.
MAX_GROUPED_SESSIONS = 20000


def _filtered(request, permission: Permission):
    """The form, the chained events and the download journal rows it selects."""
    ids = policy.audit_scope(request.user, permission)
    form = EventFilterForm(request.GET or None, custodian_ids=ids)
    qs = events_visible_to(request.user, permission)
    journal = journal_visible_to(request.user, permission)
    if form.is_bound and form.is_valid():
        qs = filter_events(qs, form.to_filter())
        journal = filter_journal(journal, form.to_filter())
    elif form.is_bound:
        qs, journal = qs.none(), journal.none()
    return form, qs, journal


@staff(Permission.AUDIT_EVENT_VIEW)
def event_list(request):
    form, qs, journal = _filtered(request, Permission.AUDIT_EVENT_VIEW)
    newest_first = request.GET.get("order") != "oldest"
    grouped = request.GET.get("group") != "off"
    sessions: dict[int, DownloadSession] = {}
    if grouped:
        # A fetch's link and serve events (journal rows) become one row, standing where its
        # newest (or, oldest first, its first) event stands.
        found = download_sessions(download_events(journal))
        if len(found) > MAX_GROUPED_SESSIONS:
            grouped = False  # too many to list by number: the page says narrow the filters
        else:
            sessions = {s.anchor(newest_first): s for s in found}
            journal = journal.exclude(event_type__in=DOWNLOAD_SESSION_TYPES) | journal.filter(
                pk__in=list(sessions)
            )
    # No total: counting a trail of a million events read them all for every page.
    page, query = paginate_uncounted(
        request, trail_keys(qs, journal, newest_first=newest_first), PAGE_SIZE
    )
    keys = list(page)
    rows = [
        (row, sessions.get(key) if source == JOURNAL else None)
        for row, (_created, source, key) in zip(trail_rows(keys), keys, strict=True)
    ]
    return render(
        request,
        "audit/event_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query,
            "newest_first": newest_first,
            "grouped": grouped,
            "too_many_sessions": request.GET.get("group") != "off" and not grouped,
            "session_gap_minutes": int(DOWNLOAD_SESSION_GAP.total_seconds() // 60),
            "types": sorted(
                set(event_types(events_visible_to(request.user)))
                | set(event_types(journal_visible_to(request.user)))
            ),
            "can_export": policy.can_export_audit_trail(request.user),
            "latest_checkpoint": latest_checkpoint(),
        },
    )


@staff(Permission.AUDIT_EVENT_EXPORT)
def event_export(request, fmt: str):
    _form, qs, journal = _filtered(request, Permission.AUDIT_EVENT_EXPORT)
    # The export is the trail as it stood when asked for, not including its own record.
    last = qs.order_by("-seq").values_list("seq", flat=True).first() or 0
    qs = qs.filter(seq__lte=last)
    last_entry = journal.order_by("-id").values_list("id", flat=True).first() or 0
    journal = journal.filter(id__lte=last_entry)
    _record_export(request, "audit:trail:export", {"format": fmt, "filters": request.GET.dict()})
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    if fmt == "csv":
        response = StreamingHttpResponse(
            csv_lines(qs, journal), content_type="text/csv; charset=utf-8"
        )
    else:
        response = StreamingHttpResponse(
            json_chunks(qs, journal), content_type="application/json; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="accord-audit-{stamp}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


@staff(Permission.AUDIT_EVENT_EXPORT)
def checkpoint_export(request):
    """Every signed checkpoint, as the file `accord audit verify --checkpoints` reads. They
    hold hashes of the whole chain and no event contents, so any staff member who may export
    their custodian's trail may keep them."""
    _record_export(request, "audit:checkpoints:export", {})
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response = StreamingHttpResponse(
        export_chunks(), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="accord-audit-checkpoints-{stamp}.json"'
    )
    response["Cache-Control"] = "no-store"
    return response


def _record_export(request, event_type: str, details: dict) -> None:
    """Who pulled what from the trail is itself part of the trail, of each custodian's: one
    record per custodian, all or none."""
    ids = policy.audit_scope(request.user, Permission.AUDIT_EVENT_EXPORT)
    with transaction.atomic():
        for custodian_id in sorted(ids) if ids is not None else [None]:
            audit_record(
                event_type=event_type,
                actor=request.user,
                custodian_id=custodian_id,
                details=details,
            )
