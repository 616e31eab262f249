"""THE place that decides who may see or get which data.

Every rule is written once, as a queryset filter; each yes/no check is that same queryset
narrowed to one object, so a list page and a download can never disagree. Everything is
re-checked at use time against the licence and the membership, not only the stored
entitlement: a member removed by the signer, or a licence revoked, loses access at once,
even before entitlements_sync_for_licence has run.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from accord.access.models import Entitlement
from accord.catalog.models import Custodian, DataFile, Dataset, Variant
from accord.core import clock
from accord.core.permissions import Permission, custodian_ids_with
from accord.licences.models import Licence, LicenceMember


def servable_scan_statuses() -> tuple[str, ...]:
    """Scan results whose files are listed and served at all, whoever asks: "clean"; and only
    with ACCORD_SERVE_UNSCANNED_FILES (off in production) also the files no scanner passed
    (ingested without one, or too large for it). An infected file never is."""
    if settings.SERVE_UNSCANNED_FILES:
        return tuple(s for s in DataFile.ScanStatus.values if s != DataFile.ScanStatus.INFECTED)
    return (DataFile.ScanStatus.CLEAN,)


def servable_files(files: QuerySet[DataFile]) -> QuerySet[DataFile]:
    """``files`` narrowed to those the scan rule lets anyone see: what the public catalogue
    lists, and what ``downloadable_files`` and manifests start from."""
    return files.filter(scan_status__in=servable_scan_statuses())


def _is_active_user(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.pk)


def usable_entitlements(user, *, now=None) -> QuerySet[Entitlement]:
    """Entitlements ``user`` may use right now: open, inside their window, the licence in
    force and still covering the variant, and the user still its signer or an active member."""
    if not _is_active_user(user):
        return Entitlement.objects.none()
    now = now or clock.now()
    active_member = LicenceMember.objects.filter(
        licence_id=OuterRef("licence_id"), user_id=user.pk, status=LicenceMember.Status.ACTIVE
    )
    still_licensed = Licence.variants.through.objects.filter(
        licence_id=OuterRef("licence_id"), variant_id=OuterRef("variant_id")
    )
    return (
        Entitlement.objects.filter(
            user_id=user.pk,
            revoked_at__isnull=True,
            valid_from__lte=now,
            licence__status=Licence.Status.ACTIVE,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        .filter(Q(licence__expires_at__isnull=True) | Q(licence__expires_at__gt=now))
        .filter(Q(licence__signer_id=user.pk) | Q(Exists(active_member)))
        .filter(Exists(still_licensed))
    )


def is_entitlement_usable(user, entitlement: Entitlement) -> bool:
    """The check a download link makes on every request, resumed ranges included."""
    return usable_entitlements(user).filter(pk=entitlement.pk).exists()


def entitled_variants(user) -> QuerySet[Variant]:
    """Variants ``user`` may download now (each once, whatever the number of licences)."""
    ids = usable_entitlements(user).values("variant_id")
    return Variant.objects.filter(pk__in=ids).select_related("dataset", "dataset__custodian")


def can_get_variant(user, variant: Variant) -> bool:
    return entitled_variants(user).filter(pk=variant.pk).exists()


def downloadable_files(user) -> QuerySet[DataFile]:
    """Files ``user`` may download now."""
    return servable_files(
        DataFile.objects.filter(variant__in=entitled_variants(user).values("pk"))
    ).select_related("variant", "variant__dataset")


def can_download(user, data_file: DataFile) -> bool:
    return downloadable_files(user).filter(pk=data_file.pk).exists()


def entitlement_for_file(user, data_file: DataFile) -> Entitlement | None:
    """The usable entitlement a download of ``data_file`` is issued under (the one granted
    most recently when several licences cover the variant), or None."""
    if data_file.scan_status not in servable_scan_statuses():
        return None
    return entitlement_for_variant(user, data_file.variant)


def entitlement_for_variant(
    user, variant: Variant, *, licence_reference: str | None = None
) -> Entitlement | None:
    qs = usable_entitlements(user).filter(variant_id=variant.pk)
    if licence_reference:
        qs = qs.filter(licence__reference=licence_reference)
    return (
        qs.select_related(
            "licence", "licence__signer", "license_version", "variant", "variant__dataset"
        )
        .order_by("-valid_from", "-pk")
        .first()
    )


# --- The catalogue: datasets, subjects, publication rules, terms, staff roles ---------------
# Staff change a custodian's catalogue entries under a catalogue permission of their role
# there: CATALOG_DATASET_MANAGE (descriptions), CATALOG_SUBJECT_MANAGE (subjects and
# publication rules), CATALOG_LICENSE_PUBLISH (terms), CATALOG_STAFF_MANAGE (staff roles).


def custodians_catalogued_by(
    user, permission: Permission = Permission.CATALOG_DATASET_MANAGE
) -> QuerySet[Custodian]:
    """Custodians whose catalogue ``user`` may change under ``permission``."""
    ids = custodian_ids_with(user, permission)
    return Custodian.objects.all() if ids is None else Custodian.objects.filter(pk__in=ids)


def can_edit_catalogue(
    user, custodian: Custodian, permission: Permission = Permission.CATALOG_DATASET_MANAGE
) -> bool:
    return custodians_catalogued_by(user, permission).filter(pk=custodian.pk).exists()


def datasets_editable_by(
    user, permission: Permission = Permission.CATALOG_DATASET_MANAGE
) -> QuerySet[Dataset]:
    """Datasets (published or not) whose entry ``user`` may change under ``permission``."""
    return Dataset.objects.filter(
        custodian__in=custodians_catalogued_by(user, permission)
    ).select_related("custodian")


def can_edit_dataset(
    user, dataset: Dataset, permission: Permission = Permission.CATALOG_DATASET_MANAGE
) -> bool:
    return datasets_editable_by(user, permission).filter(pk=dataset.pk).exists()
