"""The licensee register as CSV for custodian staff: the register's rows and filters, safe to
open in a spreadsheet, and each export recorded in the audit trail of the custodians it covers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.db import transaction

from accord.audit.services import audit_record

from . import selectors
from .models import Licence

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
        )
    ]


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
        selectors.licence_register(
            actor, dataset=filters["dataset"], status=filters["status"], search=filters["q"]
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
