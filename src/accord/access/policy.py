"""THE place that decides who may see, get or do what: files and downloads, applications,
licences, variants' file lists, audit trails, and the catalogue.

Every rule is written once, as a queryset filter; each yes/no check is that same queryset
narrowed to one object, so a list page and a download can never disagree. Selectors and
services ask here; views and API endpoints never decide by themselves (a test enforces it).
Everything is re-checked at use time against the licence and the membership, not only the stored
entitlement: a member removed by the signer, or a licence revoked, loses access at once,
even before entitlements_sync_for_licence has run.
"""

from __future__ import annotations

import hashlib
import re
import weakref
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from accord.access.models import Entitlement
from accord.accounts.models import User
from accord.accounts.selectors import has_verified_email
from accord.agreements.models import Application
from accord.audit.models import Event
from accord.catalog.models import Custodian, DataFile, Dataset, Subject, SubjectWithdrawal, Variant
from accord.core import clock
from accord.core.permissions import Permission, custodian_ids_with
from accord.licences.models import Licence, LicenceMember

# When several usable entitlements cover a variant, downloads go under the newest.
NEWEST_FIRST = ("-valid_from", "-pk")


def servable_scan_statuses() -> tuple[str, ...]:
    """Scan results whose files are listed and served at all, whoever asks: "clean"; and only
    with ACCORD_SERVE_UNSCANNED_FILES (off in production) also the files no scanner passed
    (ingested without one, or too large for it). An infected file never is."""
    if settings.SERVE_UNSCANNED_FILES:
        return tuple(s for s in DataFile.ScanStatus.values if s != DataFile.ScanStatus.INFECTED)
    return (DataFile.ScanStatus.CLEAN,)


def servable_files(files: QuerySet[DataFile]) -> QuerySet[DataFile]:
    """``files`` narrowed to those anyone may see or get at all: the scan rule lets them, they
    are in the variant's current release (not retired: removed for a consent withdrawal or
    replaced by a redacted copy), and their subject has not withdrawn consent. What the
    public catalogue lists, and what ``downloadable_files`` and manifests start from; a link
    issued before a withdrawal is refused by the same rule when it is used."""
    return in_current_release(files).filter(scan_status__in=servable_scan_statuses())


def in_current_release(files: QuerySet[DataFile]) -> QuerySet[DataFile]:
    """``files`` narrowed to those the variant's current release holds: not retired, and not
    of a subject who withdrew consent (from the moment of the withdrawal)."""
    return files.filter(retired_at__isnull=True).exclude(subject__status=Subject.Status.WITHDRAWN)


def is_servable(data_file: DataFile) -> bool:
    return servable_files(DataFile.objects.filter(pk=data_file.pk)).exists()


def is_withdrawn(data_file: DataFile) -> bool:
    """Was ``data_file`` taken out of its variant (consent withdrawal, redacted copy)?"""
    return not in_current_release(DataFile.objects.filter(pk=data_file.pk)).exists()


def _is_active_user(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.pk)


def _in_force(prefix: str, now) -> Q:
    return Q(**{f"{prefix}status": Licence.Status.ACTIVE}) & (
        Q(**{f"{prefix}expires_at__isnull": True}) | Q(**{f"{prefix}expires_at__gt": now})
    )


def _holds(licence_ref, user_ref, now) -> Q:
    """THE rule of who holds a licence now: it is in force, and the user is active and its
    signer or a member who accepted and was not removed. Each ref is an id, an ``OuterRef`` or
    an ``F``; every part is an ``EXISTS`` on a primary key or the membership's licence index,
    so asking it for each row of a long list stays cheap (no join fans out over licences)."""
    in_force = Licence.objects.filter(_in_force("", now), pk=licence_ref)
    member = LicenceMember.objects.filter(
        licence_id=licence_ref, user_id=user_ref, status=LicenceMember.Status.ACTIVE
    )
    return (
        Exists(User.objects.filter(pk=user_ref, is_active=True))
        & Exists(in_force)
        & (Exists(in_force.filter(signer_id=user_ref)) | Exists(member))
    )


def _holders_of(licence_ref, now) -> QuerySet[User]:
    """``_holds`` as the users holding a licence: ``licence_ref`` is a licence id or an
    ``OuterRef`` to one (so a check can ask it inside its own query)."""
    if isinstance(licence_ref, OuterRef):
        licence_ref = OuterRef(licence_ref)  # one level deeper: inside the users' query
    return User.objects.filter(_holds(licence_ref, OuterRef("pk"), now))


def licence_holders(licence: Licence, *, now=None) -> QuerySet[User]:
    """Users who may use ``licence`` now (empty when it is not in force): what the
    entitlement sync grants to, and what every download re-checks."""
    return _holders_of(licence.pk, now or clock.now()).distinct()


def usable_entitlements(user, *, now=None) -> QuerySet[Entitlement]:
    """Entitlements ``user`` may use right now: open, inside their window, the licence still
    covering the variant, and the user one of the licence's holders (``licence_holders``)."""
    if not _is_active_user(user):
        return Entitlement.objects.none()
    return _usable(Entitlement.objects.filter(user_id=user.pk), now or clock.now())


def _usable(entitlements: QuerySet[Entitlement], now) -> QuerySet[Entitlement]:
    """THE rule of ``usable_entitlements``, on any set of entitlements (the download link
    check applies it to the link's own entitlement, inside its one query)."""
    holds = _holds(OuterRef("licence_id"), OuterRef("user_id"), now)
    still_licensed = Licence.variants.through.objects.filter(
        licence_id=OuterRef("licence_id"), variant_id=OuterRef("variant_id")
    )
    return (
        entitlements.filter(revoked_at__isnull=True, valid_from__lte=now)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        .filter(holds)
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


# --- The download hot path ------------------------------------------------------------------
# Every request for /downloads/d/<secret>/ asks the rules above again, for the link's user,
# entitlement and file, in ONE query compiled once per database and scan rule (the ORM builds
# it once; each request only fills in the secret's hash and the time).

_SECRET = "accord-policy-secret-placeholder"  # noqa: S105 - a placeholder
_NOW = datetime(2000, 1, 1, 0, 0, 0, 123457, tzinfo=UTC)
LINK_FIELDS = (
    "id",
    "user_id",
    "entitlement_id",
    "entitlement__licence_id",
    "data_file_id",
    "binding",
    "api_token_id",
    "data_file__path",
    "data_file__storage_name",
    "data_file__size",
    "data_file__media_type",
    "data_file__sha256",
    "data_file__variant_id",
    "data_file__variant__slug",
    "data_file__variant__dataset_id",
    "data_file__variant__dataset__custodian_id",
    "api_token__token_hash",
    "live",
    "granted",
    "token_ok",
    "token_stale",
)
# How often a token's "last used" is brought up to date (as accounts.api_token_authenticate).
TOKEN_LAST_USED_SECONDS = 60
_compiled: dict[tuple, tuple[str, list, list[int], int, int]] = {}


def link_grants(now) -> QuerySet:
    """Download links, each with ``live`` (not expired at ``now``) and ``granted``: its
    entitlement is usable (``usable_entitlements``) for its user and covers its file's
    variant, and the file is servable (``servable_files``: not withdrawn, not retired, the
    scan rule lets it). The same rules as ``is_entitlement_usable`` and ``can_download``.
    For a link bound to an API token: ``token_ok`` (the token is not revoked or expired; the
    caller compares the bearer's hash with ``api_token__token_hash``) and ``token_stale``
    (its "last used" is due an update)."""
    from accord.downloads.models import DownloadLink

    usable = _usable(
        Entitlement.objects.filter(
            pk=OuterRef("entitlement_id"),
            user_id=OuterRef("user_id"),
            variant_id=OuterRef("data_file__variant_id"),
            user__is_active=True,
        ),
        now,
    )
    servable = servable_files(DataFile.objects.filter(pk=OuterRef("data_file_id")))
    token_usable = Q(api_token__revoked_at__isnull=True) & (
        Q(api_token__expires_at__isnull=True) | Q(api_token__expires_at__gt=now)
    )
    stale = now - timedelta(seconds=TOKEN_LAST_USED_SECONDS)
    return DownloadLink.objects.annotate(
        live=ExpressionWrapper(Q(expires_at__gt=now), output_field=BooleanField()),
        granted=ExpressionWrapper(Exists(usable) & Exists(servable), output_field=BooleanField()),
        token_ok=ExpressionWrapper(token_usable, output_field=BooleanField()),
        token_stale=ExpressionWrapper(
            Q(api_token__last_used_at__isnull=True) | Q(api_token__last_used_at__lt=stale),
            output_field=BooleanField(),
        ),
    )


def link_grant(secret_hash: str, now=None) -> dict | None:
    """The link whose secret hashes to ``secret_hash``, as ``LINK_FIELDS`` (``live`` and
    ``granted`` as above), or None: one indexed query, not built per request."""
    now = now or clock.now()
    key = (connection.alias, connection.vendor, servable_scan_statuses())
    template = _compiled.get(key)
    if template is None:
        qs = link_grants(_NOW).filter(secret_hash=_SECRET).values_list(*LINK_FIELDS)
        sql, params = qs.query.get_compiler(connection=connection).as_sql()
        params = list(params)
        adapt = connection.ops.adapt_datetimefield_value
        placeholder_now = adapt(_NOW)
        placeholder_stale = adapt(_NOW - timedelta(seconds=TOKEN_LAST_USED_SECONDS))
        nows = [i for i, p in enumerate(params) if p == placeholder_now]
        stales = [i for i, p in enumerate(params) if p == placeholder_stale]
        secrets_ = [i for i, p in enumerate(params) if p == _SECRET]
        if len(secrets_) != 1 or not nows or len(stales) != 1:
            raise RuntimeError("the download link check did not compile as expected")
        template = _compiled[key] = (sql, params, nows, stales[0], secrets_[0])
    sql, params, at_now, at_stale, at_secret = template
    params = list(params)
    adapted = connection.ops.adapt_datetimefield_value(now)
    for i in at_now:
        params[i] = adapted
    params[at_stale] = connection.ops.adapt_datetimefield_value(
        now - timedelta(seconds=TOKEN_LAST_USED_SECONDS)
    )
    params[at_secret] = secret_hash
    with connection.cursor() as cursor:
        if (
            connection.vendor == "postgresql"
            and settings.DB_PREPARED_STATEMENTS
            and "%%" not in sql
        ):
            _execute_prepared(cursor, sql, params)
        else:
            cursor.execute(sql, params)
        row = cursor.fetchone()
    return dict(zip(LINK_FIELDS, row, strict=True)) if row is not None else None


# Per database session: the statements prepared on it (a session keeps them until it ends,
# whatever its transactions do).
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _execute_prepared(cursor, sql: str, params: list) -> None:
    """Run ``sql`` as a statement prepared once per database session. PostgreSQL takes
    about ten times longer to plan this query (a dozen EXISTS) than to run it, and Django
    binds parameters on the client, so without this it plans it on every request."""
    name = "accord_link_grant_" + hashlib.sha256(sql.encode()).hexdigest()[:16]
    done = _prepared.setdefault(connection.connection, set())
    if name not in done:
        numbers = iter(range(1, len(params) + 1))
        text = re.sub(r"%s", lambda _m: f"${next(numbers)}", sql)
        cursor.execute(f"PREPARE {name} AS {text}")
        done.add(name)
    cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)


def entitlement_for_file(user, data_file: DataFile) -> Entitlement | None:
    """The usable entitlement a download of ``data_file`` is issued under (the one granted
    most recently when several licences cover the variant), or None."""
    if not is_servable(data_file):
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
        .order_by(*NEWEST_FIRST)
        .first()
    )


def entitlements_in_use(user) -> dict[int, Entitlement]:
    """Per variant id, the usable entitlement its downloads go under (the newest, as in
    ``entitlement_for_variant``), in one query."""
    chosen: dict[int, Entitlement] = {}
    for entitlement in usable_entitlements(user).select_related("licence").order_by(*NEWEST_FIRST):
        chosen.setdefault(entitlement.variant_id, entitlement)
    return chosen


def licences_in_use(user, variant_ids) -> dict[int, str]:
    """``entitlements_in_use`` for a few variants, as the reference of the licence each one's
    downloads go under, chosen in the database: one query, however many entitlements to
    the same variant the user holds."""
    newest = (
        usable_entitlements(user)
        .filter(variant_id=OuterRef("pk"))
        .order_by(*NEWEST_FIRST)
        .values("licence__reference")[:1]
    )
    rows = Variant.objects.filter(pk__in=variant_ids).annotate(reference=Subquery(newest))
    return {pk: ref for pk, ref in rows.values_list("pk", "reference") if ref is not None}


# --- Variants' file lists ------------------------------------------------------------------
# The catalogue API and the downloads API list a variant's files by the same rule: names,
# sizes and checksums (never the data) of the files the scan rule lets anyone see.


def file_listable_variants(user) -> QuerySet[Variant]:
    """Variants whose file list ``user`` may read: every variant of a published dataset, and
    those ``user`` may download now (a licence outlives the dataset's catalogue entry)."""
    return Variant.objects.filter(
        Q(dataset__is_published=True) | Q(pk__in=entitled_variants(user).values("pk"))
    ).select_related("dataset")


def can_list_files(user, variant: Variant) -> bool:
    return file_listable_variants(user).filter(pk=variant.pk).exists()


def variant_file_list(variant: Variant) -> QuerySet[DataFile]:
    """The files listed for a variant whose list may be read (``can_list_files``)."""
    return servable_files(variant.files.all()).select_related("subject").order_by("path")


# --- Consent withdrawal ----------------------------------------------------------------------
# Withdrawing a subject (CATALOG_SUBJECT_WITHDRAW) stops serving their files and asks
# licensees to delete them; the same staff read the withdrawal's page (who has attested).


def subjects_withdrawable_by(user) -> QuerySet[Subject]:
    """Subjects whose consent ``user`` may record as withdrawn."""
    return Subject.objects.filter(
        staff_scope(user, Permission.CATALOG_SUBJECT_WITHDRAW)
    ).select_related("dataset", "dataset__custodian")


def can_withdraw_subject(user, subject: Subject) -> bool:
    return subjects_withdrawable_by(user).filter(pk=subject.pk).exists()


def withdrawals_visible_to(user) -> QuerySet[SubjectWithdrawal]:
    """Withdrawals whose page (releases, files, who has attested) ``user`` may read."""
    return SubjectWithdrawal.objects.filter(
        staff_scope(user, Permission.CATALOG_SUBJECT_WITHDRAW, "subject__dataset__custodian_id")
    )


# --- Applications ----------------------------------------------------------------------------


def staff_may(user, custodian_id: int, permission: Permission) -> bool:
    """Does ``user`` hold ``permission`` at this custodian (a superuser everywhere)?"""
    ids = custodian_ids_with(user, permission)
    return ids is None or custodian_id in ids


def is_staff_anywhere(user, permission: Permission) -> bool:
    """Does ``user`` hold ``permission`` at some custodian (for pages that list across them)?"""
    return custodian_ids_with(user, permission) != set()


def staff_scope(user, permission: Permission, field: str = "dataset__custodian_id") -> Q:
    """Rows of the custodians where ``user`` holds ``permission``, ``field`` naming the row's
    custodian."""
    ids = custodian_ids_with(user, permission)
    return Q() if ids is None else Q(**{f"{field}__in": ids})


def applications_visible_to(
    user, permission: Permission = Permission.AGREEMENTS_APPLICATION_VIEW
) -> QuerySet[Application]:
    """Applications custodian staff may read (or, with another permission, act on): those
    of their custodians, once sent; a draft is its applicant's alone."""
    return Application.objects.filter(staff_scope(user, permission)).exclude(
        state=Application.State.DRAFT
    )


def can_review(user, application: Application) -> bool:
    return (
        applications_visible_to(user, Permission.AGREEMENTS_APPLICATION_REVIEW)
        .filter(pk=application.pk)
        .exists()
    )


def applications_of(user, *, applicant_only: bool = False) -> QuerySet[Application]:
    """Applications ``user`` made or, as confirmed signer, signs (``applicant_only``: made)."""
    if not _is_active_user(user):
        return Application.objects.none()
    rule = Q(applicant=user) if applicant_only else Q(applicant=user) | Q(signer_user=user)
    return Application.objects.filter(rule)


def can_view_application(user, application: Application) -> bool:
    """The applicant, the confirmed signer, and the custodian's staff (once it is sent)."""
    return (
        applications_of(user).filter(pk=application.pk).exists()
        or applications_visible_to(user).filter(pk=application.pk).exists()
    )


def is_applicant(user, application: Application) -> bool:
    """May ``user`` change, print, upload to and submit ``application``?"""
    return bool(user.pk) and application.applicant_id == user.pk


def is_party(user, application: Application) -> bool:
    """Does ``user`` stand to gain from the application: its applicant, its signer, or a
    member listed on it (by any of their verified addresses)? Such a person never decides it."""
    if user.pk in (application.applicant_id, application.signer_user_id):
        return True
    emails = [str(m.get("email", "")) for m in application.members or [] if m.get("email")]
    return bool(emails) and any(has_verified_email(user, e) for e in emails)


def can_intake(user, dataset: Dataset) -> bool:
    """May ``user`` create an application from an emailed agreement for ``dataset``?"""
    return staff_may(user, dataset.custodian_id, Permission.AGREEMENTS_APPLICATION_INTAKE)


# --- Licences --------------------------------------------------------------------------------


def licences_visible_to(
    user, permission: Permission = Permission.AGREEMENTS_LICENCE_VIEW
) -> QuerySet[Licence]:
    """Licences custodian staff may read (or, with another permission, act on)."""
    return Licence.objects.filter(staff_scope(user, permission))


def licences_managed_by(user) -> QuerySet[Licence]:
    """Licences ``user`` may suspend, reinstate or revoke."""
    return licences_visible_to(user, Permission.AGREEMENTS_LICENCE_REVOKE)


def can_manage(user, licence: Licence) -> bool:
    return licences_managed_by(user).filter(pk=licence.pk).exists()


def can_view_licence_as_staff(user, licence: Licence) -> bool:
    return licences_visible_to(user).filter(pk=licence.pk).exists()


def licences_signed_by(user) -> QuerySet[Licence]:
    """Licences whose members ``user`` manages: the ones they signed."""
    if not _is_active_user(user):
        return Licence.objects.none()
    return Licence.objects.filter(signer=user)


def can_close_licence(user, licence: Licence) -> bool:
    """Only the signer ends their licence early (the group's members leave it instead)."""
    return _is_active_user(user) and licence.signer_id == user.pk


def can_manage_members(user, licence: Licence) -> bool:
    return _is_active_user(user) and licence.signer_id == user.pk


def licences_held_by(user, *, now=None) -> QuerySet[Licence]:
    """Licences ``user`` holds now (``licence_holders`` read from the user's side)."""
    if not _is_active_user(user):
        return Licence.objects.none()
    return Licence.objects.filter(_holds(OuterRef("pk"), user.pk, now or clock.now()))


def can_register_publication(user, dataset: Dataset) -> bool:
    """May ``user`` register a paper that used ``dataset``: a signer or active member of a
    licence for it that is in force."""
    return licences_held_by(user).filter(dataset_id=dataset.pk).exists()


if TYPE_CHECKING:  # imported where used: publications' models load after this module
    from accord.publications.models import Publication


def publication_variants(user, dataset: Dataset) -> QuerySet[Variant]:
    """Variants of ``dataset`` a paper ``user`` registers may declare it used: those of the
    licences they hold now."""
    held = licences_held_by(user).filter(dataset_id=dataset.pk)
    return Variant.objects.filter(dataset=dataset, licences__in=held).distinct()


def publications_of(user) -> QuerySet[Publication]:
    """Papers ``user`` registered (drafts included): theirs to read, check, submit and show."""
    from accord.publications.models import Publication

    if not _is_active_user(user):
        return Publication.objects.none()
    return Publication.objects.filter(registered_by_id=user.pk)


def publications_reviewable_by(user) -> QuerySet[Publication]:
    """Registered papers of the custodians where ``user`` holds PUBLICATIONS_PAPER_REVIEW;
    a draft is its author's alone."""
    from accord.publications.models import Publication

    if not _is_active_user(user):
        return Publication.objects.none()
    scope = staff_scope(user, Permission.PUBLICATIONS_PAPER_REVIEW)
    return Publication.objects.filter(scope, status=Publication.Status.REGISTERED)


def can_review_publication(user, publication: Publication) -> bool:
    return publications_reviewable_by(user).filter(pk=publication.pk).exists()


def datasets_with_paper_review(user) -> QuerySet[Dataset]:
    """Datasets whose papers ``user`` may review (the custodian view's choice of dataset)."""
    ids = custodian_ids_with(user, Permission.PUBLICATIONS_PAPER_REVIEW)
    datasets = Dataset.objects.select_related("custodian")
    return datasets if ids is None else datasets.filter(custodian_id__in=ids)


def can_manage_terms(user, dataset: Dataset) -> bool:
    """May ``user`` draft and publish new licence terms for ``dataset``?"""
    return can_edit_dataset(user, dataset, Permission.CATALOG_LICENSE_PUBLISH)


# --- Audit trails ----------------------------------------------------------------------------
# Staff read (AUDIT_EVENT_VIEW) or export (AUDIT_EVENT_EXPORT) their custodians' trail; events
# with no custodian (sign-ins, system events) are a superuser's only.


def audit_scope(user, permission: Permission = Permission.AUDIT_EVENT_VIEW) -> set[int] | None:
    """Custodian ids whose trail ``user`` may read or export under ``permission`` (None: all)."""
    return custodian_ids_with(user, permission)


def audit_events_visible_to(
    user, permission: Permission = Permission.AUDIT_EVENT_VIEW
) -> QuerySet[Event]:
    ids = audit_scope(user, permission)
    qs = Event.objects.all()
    return qs if ids is None else qs.filter(custodian_id__in=ids)


def can_read_audit_trail(user, custodian_id: int) -> bool:
    return staff_may(user, custodian_id, Permission.AUDIT_EVENT_VIEW)


def can_export_audit_trail(user) -> bool:
    """May ``user`` export some custodian's trail?"""
    return is_staff_anywhere(user, Permission.AUDIT_EVENT_EXPORT)


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


# --- Erasures of personal data ---------------------------------------------------------------


def erasures_visible_to(user, permission: Permission = Permission.AGREEMENTS_APPLICATION_VIEW):
    """Erasure records staff may read: those concerning their custodians (where the person
    applied or held a licence). The records hold no erased values."""
    from accord.accounts.models import Erasure

    ids = custodian_ids_with(user, permission)
    records = Erasure.objects.all()
    if ids is None:
        return records
    return records.filter(custodians__in=ids).distinct()
