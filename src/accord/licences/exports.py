"""The licensee register as CSV for custodian staff: the register's rows and filters, with
where each licence stands in its lifecycle (terms it is on, the change of terms waiting for an
answer, expiry and renewal, deletion attestations not yet confirmed), safe to open in a
spreadsheet, and each export recorded in the audit trail of the custodians it covers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accord.audit.services import audit_record

from . import selectors
from .models import DeletionAttestation, Licence

COLUMNS = (
    "reference",
    "dataset",
    "variants",
    "signer_name",
    "signer_affiliation",
    "signer_email",
    "terms_version",
    "status",
    "granted_at",
    "expires_at",
    "active_members",
    "pending_terms_version",
    "pending_terms_effective_date",
    "pending_terms_state",
    "renewal_state",
    "deletion_attestations_outstanding",
)


def csv_safe(value) -> str:
    # A cell starting with = + - @ (or a tab or carriage return) is a formula to a
    # spreadsheet (CSV injection); a leading apostrophe makes it text.
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _row(licence: Licence) -> list[str]:
    application = licence.application
    return [
        csv_safe(v)
        for v in (
            licence.reference,
            licence.dataset.slug,
            " ".join(v.slug for v in licence.variants.all()),
            application.signer_name if application else licence.signer.full_name,
            application.signer_affiliation if application else "",
            licence.signer.email,
            licence.license_version.version,
            licence.status,
            licence.granted_at.isoformat() if licence.granted_at else "",
            licence.expires_at.isoformat() if licence.expires_at else "",
            licence.active_member_count,  # type: ignore[attr-defined]  # annotated
            # Annotated by selectors.with_lifecycle and _with_outstanding_attestations:
            licence.pending_terms_version,  # type: ignore[attr-defined]
            _date(licence.pending_terms_effective),  # type: ignore[attr-defined]
            licence.pending_terms_status or "",  # type: ignore[attr-defined]
            licence.renewal_state,  # type: ignore[attr-defined]
            licence.outstanding_attestations,  # type: ignore[attr-defined]
        )
    ]


def _date(value) -> str:
    return value.isoformat() if value else ""


def _with_outstanding_attestations(qs: QuerySet[Licence]) -> QuerySet[Licence]:
    """How many deletion attestations of each licence are still unconfirmed, in the same query
    (a subquery: a join would multiply the member count)."""
    outstanding = (
        DeletionAttestation.objects.filter(licence=OuterRef("pk"), attested_at__isnull=True)
        .order_by()
        .values("licence")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.annotate(
        outstanding_attestations=Coalesce(Subquery(outstanding, output_field=IntegerField()), 0)
    )


def _lines(licences: Iterable[Licence]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return value

    writer.writerow(COLUMNS)
    yield flush()
    for licence in licences:
        writer.writerow(_row(licence))
        yield flush()


@transaction.atomic
def licence_register_export(*, actor, filters: dict[str, str]) -> list[str]:
    """The register as CSV lines under ``filters`` (dataset, status, q), exactly as the
    register page lists it; recorded once per custodian whose licences it may contain."""
    licences = list(
        _with_outstanding_attestations(
            selectors.licence_register(
                actor, dataset=filters["dataset"], status=filters["status"], search=filters["q"]
            )
        )
    )
    custodian_ids = sorted(
        set(selectors.licence_datasets(actor).values_list("custodian_id", flat=True))
    )
    for custodian_id in custodian_ids:
        audit_record(
            event_type="licences:register:export",
            actor=actor,
            custodian_id=custodian_id,
            details={"format": "csv", "filters": filters, "rows": len(licences)},
        )
    return list(_lines(licences))
