"""Writes custodian staff (and the site's administrators) make to the catalogue: staff roles,
dataset descriptions, subjects, publication rules, and licence versions drafted then published.

The pages, the Django admin and commands all go through these. Each asks access.policy whether
the actor may, and records in the audit trail the before and after of every field it changed;
a call that changes nothing records nothing. Published licence versions are frozen: licences
were granted under their exact words, so a change is a new version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext

from accord.access import policy
from accord.audit.services import audit_record
from accord.catalog.models import (
    Clause,
    ClauseTranslation,
    Custodian,
    CustodianStaff,
    Dataset,
    LicenseVersion,
    PublicationRule,
    Subject,
    Variant,
)
from accord.core.errors import Conflict, DomainError, NotFound
from accord.core.permissions import Permission

if TYPE_CHECKING:
    from django.core.files import File

    from accord.accounts.models import User

TRANSLATED_FIELDS = ("name", "summary", "description")
TRANSLATIONS = ("zh_hans", "fi")  # the columns besides the English original (settings.LANGUAGES)

TRANSLATION_FIELDS = tuple(f"{f}_{lang}" for f in TRANSLATED_FIELDS for lang in TRANSLATIONS)

DATASET_FIELDS = (
    "name",
    "short_name",
    "summary",
    "description",
    "modalities",
    "homepage",
    "is_published",
    "requires_affiliated_email",
    # The licence lifecycle: notice for new terms, expiry and renewal, close-out.
    "notice_days",
    "terms_no_action",
    "terms_acceptance",
    "licence_term_days",
    "renewal_requires_signed_agreement",
    "members_attest_deletion",
    # How long applications that did not become a licence are kept (accord.agreements.retention).
    "application_retention_days",
    # Translations of the description (catalog.translation); name, summary and description
    # above are the English originals.
    *TRANSLATION_FIELDS,
)
RULE_FIELDS = ("mode", "subjects", "notice", "conditions")
# Paths under /datasets/ that a dataset slug must not take (the staff pages live there).
RESERVED_SLUGS = frozenset({"manage"})


class InvalidChange(DomainError):
    """The new values do not fit; nothing was changed. ``errors`` maps field to message."""

    code = "invalid"

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        field = next(iter(errors), None)
        super().__init__(" ".join(errors.values()), field=field if field != "__all__" else None)


def _invalid(exc: ValidationError) -> InvalidChange:
    return InvalidChange({field: " ".join(msgs) for field, msgs in exc.message_dict.items()})


def _plain(value: Any) -> Any:
    """A field value as the audit trail keeps it."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "name") and hasattr(value, "storage"):  # a FieldFile
        return value.name or ""
    return value


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: {"before": _plain(before.get(name)), "after": _plain(after.get(name))}
        for name in after
        if _plain(before.get(name)) != _plain(after.get(name))
    }


def _audit(
    event_type: str,
    *,
    actor: User,
    target,
    custodian_id: int,
    dataset_id: int | None,
    changes: dict[str, dict[str, Any]],
    **details: Any,
) -> None:
    audit_record(
        event_type=event_type,
        actor=actor,
        target=target,
        custodian_id=custodian_id,
        dataset_id=dataset_id,
        details={**details, "changes": changes},
    )


def _require_dataset(actor: User, dataset: Dataset, permission: Permission) -> None:
    # The same answer for "no such dataset" and "not yours": nobody probes other custodians.
    if not policy.can_edit_dataset(actor, dataset, permission):
        raise NotFound(gettext("No such dataset."))


# --- Staff roles ------------------------------------------------------------------------------


def _admin_count(custodian: Custodian) -> int:
    return CustodianStaff.objects.filter(
        custodian=custodian, role=CustodianStaff.Role.ADMIN
    ).count()


@transaction.atomic
def staff_set_role(
    *, custodian: Custodian, user: User, role: str | None, actor: User
) -> CustodianStaff | None:
    """Give ``user`` ``role`` at ``custodian`` (adding them to its staff if need be), or take
    them off its staff with ``role=None``."""
    if not policy.can_edit_catalogue(actor, custodian, Permission.CATALOG_STAFF_MANAGE):
        raise NotFound(gettext("No such custodian."))
    if role is not None and role not in CustodianStaff.Role.values:
        raise InvalidChange(
            {"role": gettext("Choose one of the roles: reviewer, data manager, administrator.")}
        )
    if role is not None and not user.is_active:
        raise InvalidChange(
            {"user": gettext("This account is deactivated; reactivate it before giving it a role.")}
        )
    Custodian.objects.select_for_update().filter(pk=custodian.pk).first()  # one change at a time
    membership = CustodianStaff.objects.filter(custodian=custodian, user=user).first()
    before = membership.role if membership else None
    if before == role:
        return membership
    if (
        before == CustodianStaff.Role.ADMIN
        and not actor.is_superuser
        and _admin_count(custodian) == 1
    ):
        raise Conflict(
            gettext(
                "%(user)s is the only administrator of %(custodian)s, so their role cannot be "
                "taken away: make someone else administrator first."
            )
            % {"user": user.email, "custodian": custodian},
            code="last-administrator",
        )
    if role is None:
        assert membership is not None  # "no change" returned above
        membership.delete()
        membership = None
    elif membership is None:
        membership = CustodianStaff.objects.create(custodian=custodian, user=user, role=role)
    else:
        membership.role = role
        membership.save(update_fields=["role", "updated"])
    _audit(
        "catalog:staff:set-role",
        actor=actor,
        target=user,
        custodian_id=custodian.pk,
        dataset_id=None,
        changes={"role": {"before": before, "after": role}},
        user_id=user.pk,
    )
    return membership


# --- Datasets ---------------------------------------------------------------------------------


def _dataset_values(dataset: Dataset) -> dict[str, Any]:
    with _original_language():
        values = {name: getattr(dataset, name) for name in DATASET_FIELDS}
    # An untranslated field is NULL in the database and "" in a form: the same "none".
    return {n: "" if v is None and n in TRANSLATION_FIELDS else v for n, v in values.items()}


def _original_language():
    """Dataset's name, summary and description read and write their English original here,
    whatever language the editor reads Accord in (their translations are named fields)."""
    return translation.override(settings.LANGUAGE_CODE)


def _check_fields(fields: dict[str, Any], allowed: Sequence[str]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise InvalidChange(
            {
                unknown[0]: gettext("These fields cannot be changed here: %(fields)s.")
                % {"fields": ", ".join(unknown)}
            }
        )


@transaction.atomic
def dataset_create(*, custodian: Custodian, slug: str, actor: User, **fields: Any) -> Dataset:
    """A new (unpublished unless ``is_published``) dataset of ``custodian``."""
    if not policy.can_edit_catalogue(actor, custodian, Permission.CATALOG_DATASET_MANAGE):
        raise NotFound(gettext("No such custodian."))
    _check_fields(fields, DATASET_FIELDS)
    if slug in RESERVED_SLUGS:
        raise InvalidChange(
            {"slug": gettext("“%(slug)s” is reserved; choose another slug.") % {"slug": slug}}
        )
    with _original_language():
        dataset = Dataset(custodian=custodian, slug=slug, **fields)
    try:
        dataset.full_clean()
    except ValidationError as exc:
        raise _invalid(exc) from exc
    dataset.save()
    _audit(
        "catalog:dataset:create",
        actor=actor,
        target=dataset,
        custodian_id=custodian.pk,
        dataset_id=dataset.pk,
        changes=_changes({}, {"slug": slug, **_dataset_values(dataset)}),
    )
    return dataset


@transaction.atomic
def dataset_update(*, dataset: Dataset, actor: User, **fields: Any) -> Dataset:
    """Change the description fields of ``dataset`` (see DATASET_FIELDS); its slug and
    custodian never change, since licences, storage paths and links name them."""
    _require_dataset(actor, dataset, Permission.CATALOG_DATASET_MANAGE)
    _check_fields(fields, DATASET_FIELDS)
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    _update_audited(
        dataset,
        fields,
        _dataset_values,
        "catalog:dataset:update",
        actor=actor,
        dataset=dataset,
    )
    return dataset


def _update_audited(
    obj,
    fields: dict[str, Any],
    values: Callable[[Any], dict[str, Any]],
    event_type: str,
    *,
    actor: User,
    dataset: Dataset,
    clean: dict[str, Any] | None = None,
    **details: Any,
) -> dict[str, dict[str, Any]]:
    """Set ``fields`` on ``obj`` (a locked row; translated fields take their English original),
    validate it (``clean``: ``full_clean``'s options) and, if ``values`` (what the audit
    compares) changed, save those fields and audit their before and after. Returns the
    changes; none records nothing."""
    before = values(obj)
    with _original_language():
        for name, value in fields.items():
            setattr(obj, name, value)
    try:
        obj.full_clean(**(clean or {}))
    except ValidationError as exc:
        raise _invalid(exc) from exc
    changes = _changes(before, values(obj))
    if changes:
        obj.save(update_fields=[*changes, "updated"])
        _audit(
            event_type,
            actor=actor,
            target=obj,
            custodian_id=dataset.custodian_id,
            dataset_id=dataset.pk,
            changes=changes,
            **details,
        )
    return changes


# --- Subjects ---------------------------------------------------------------------------------


@transaction.atomic
def subject_add(*, dataset: Dataset, code: str, actor: User) -> Subject:
    _require_dataset(actor, dataset, Permission.CATALOG_SUBJECT_MANAGE)
    code = (code or "").strip()
    if dataset.subjects.filter(code=code).exists():
        raise Conflict(
            gettext("%(dataset)s already has a subject %(code)s.")
            % {"dataset": dataset, "code": code},
            code="subject-exists",
            field="code",
        )
    subject = Subject(dataset=dataset, code=code)
    try:
        subject.full_clean()
    except ValidationError as exc:
        raise _invalid(exc) from exc
    subject.save()
    _audit(
        "catalog:subject:add",
        actor=actor,
        target=subject,
        custodian_id=dataset.custodian_id,
        dataset_id=dataset.pk,
        changes=_changes({}, {"code": code, "status": subject.status}),
    )
    return subject


@transaction.atomic
def subject_withdraw(
    *, subject: Subject, reason: str, actor: User, withdrawn_at: dt.datetime | None = None
) -> Subject:
    """Mark ``subject``'s consent withdrawn from ``withdrawn_at`` (now by default) and carry it
    through (catalog.services_withdrawal): from this moment no publication rule lets their
    images be shown and none of their files is served; each affected variant publishes a new
    release without them; whoever downloaded them is asked to delete them and attest. A
    subject withdraws once: a second call changes nothing.

    The reason may name the participant: it is kept on the subject for staff, never in the
    audit trail's hashed payload (the event records the fact, the code, the date and counts).
    """
    from accord.catalog.services_withdrawal import withdrawal_carry_out

    if not policy.can_withdraw_subject(actor, subject):
        raise NotFound(gettext("No such subject."))
    subject = (
        Subject.objects.select_for_update(of=("self",)).select_related("dataset").get(pk=subject.pk)
    )
    if subject.status == Subject.Status.WITHDRAWN:
        return subject
    reason = (reason or "").strip()
    if not reason:
        raise InvalidChange(
            {
                "reason": gettext(
                    "Say why consent was withdrawn (how and when the request came); it is "
                    "kept for your records and never shown to researchers."
                )
            }
        )
    now = timezone.now()
    if withdrawn_at is not None and withdrawn_at > now:
        raise InvalidChange(
            {
                "withdrawn_at": gettext(
                    "The date of withdrawal cannot be in the future; use today's date or an "
                    "earlier one."
                )
            }
        )
    before = {"status": subject.status, "withdrawn_at": subject.withdrawn_at}
    subject.status = Subject.Status.WITHDRAWN
    subject.withdrawn_at = withdrawn_at or now
    subject.withdrawal_reason = reason
    subject.save(update_fields=["status", "withdrawn_at", "withdrawal_reason", "updated"])
    outcome = withdrawal_carry_out(subject=subject, actor=actor)
    _audit(
        "catalog:subject:withdraw",
        actor=actor,
        target=subject,
        custodian_id=subject.dataset.custodian_id,
        dataset_id=subject.dataset_id,
        changes=_changes(before, {"status": subject.status, "withdrawn_at": subject.withdrawn_at}),
        code=subject.code,
        releases={r.variant.slug: r.label for r in outcome.releases},
        files_withdrawn=len(outcome.removed),
        sheets_redacted=len(outcome.redacted),
        files_to_review=len(outcome.to_review),
        attestations_requested=len(outcome.attestations),
    )
    return subject


# --- Publication rules ------------------------------------------------------------------------


def _rule_values(rule: PublicationRule) -> dict[str, Any]:
    return {
        "mode": rule.mode,
        "subjects": sorted(s.code for s in rule.subjects.all()) if rule.pk else [],
        "notice": rule.notice,
        "conditions": rule.conditions,
    }


def _rule_subjects(dataset: Dataset, subjects: Iterable[Subject]) -> list[Subject]:
    subjects = list(subjects)
    foreign = [s.code for s in subjects if s.dataset_id != dataset.pk]
    if foreign:
        raise InvalidChange(
            {
                "subjects": gettext(
                    "These subjects are not subjects of %(dataset)s: %(codes)s. Choose among "
                    "the dataset's own subjects."
                )
                % {"dataset": dataset, "codes": ", ".join(sorted(foreign))}
            }
        )
    return subjects


def _apply_rule(rule: PublicationRule, fields: dict[str, Any]) -> None:
    subjects = fields.pop("subjects", None)
    for name, value in fields.items():
        setattr(rule, name, value)
    try:
        rule.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise _invalid(exc) from exc
    rule.save()
    if subjects is not None:
        rule.subjects.set(_rule_subjects(rule.dataset, subjects))


@transaction.atomic
def publication_rule_create(
    *, dataset: Dataset, actor: User, variant: Variant | None = None, **fields: Any
) -> PublicationRule:
    """A rule for the whole of ``dataset`` or for one ``variant``; each has at most one."""
    _require_dataset(actor, dataset, Permission.CATALOG_SUBJECT_MANAGE)
    _check_fields(fields, RULE_FIELDS)
    if variant is not None and variant.dataset_id != dataset.pk:
        raise InvalidChange(
            {"variant": gettext("Choose a variant of %(dataset)s.") % {"dataset": dataset}}
        )
    Dataset.objects.select_for_update().filter(pk=dataset.pk).first()  # one new rule at a time
    if dataset.publication_rules.filter(variant=variant).exists():
        raise Conflict(
            gettext("%(scope)s already has a publication rule; edit that one instead.")
            % {"scope": variant or dataset},
            code="rule-exists",
        )
    rule = PublicationRule(dataset=dataset, variant=variant)
    _apply_rule(rule, dict(fields))
    _audit(
        "catalog:publication-rule:create",
        actor=actor,
        target=rule,
        custodian_id=dataset.custodian_id,
        dataset_id=dataset.pk,
        changes=_changes({}, _rule_values(rule)),
        variant=variant.slug if variant else None,
    )
    return rule


@transaction.atomic
def publication_rule_update(
    *, rule: PublicationRule, actor: User, **fields: Any
) -> PublicationRule:
    """Change a rule's mode, listed subjects, required notice or other conditions."""
    _require_dataset(actor, rule.dataset, Permission.CATALOG_SUBJECT_MANAGE)
    _check_fields(fields, RULE_FIELDS)
    rule = (
        PublicationRule.objects.select_for_update(of=("self",))
        .select_related("dataset", "variant")
        .get(pk=rule.pk)
    )
    before = _rule_values(rule)
    _apply_rule(rule, dict(fields))
    changes = _changes(before, _rule_values(rule))
    if changes:
        _audit(
            "catalog:publication-rule:update",
            actor=actor,
            target=rule,
            custodian_id=rule.dataset.custodian_id,
            dataset_id=rule.dataset_id,
            changes=changes,
            variant=rule.variant.slug if rule.variant else None,
        )
    return rule


# --- Licence versions -------------------------------------------------------------------------


@dataclass(frozen=True)
class ClauseText:
    """One clause of a draft, in the order it is given."""

    code: str
    title: str
    text: str
    enforcement: str = Clause.Enforcement.ATTESTATION
    how_enforced: str = ""


def _clause_texts(version: LicenseVersion) -> list[dict[str, str]]:
    return [
        asdict(ClauseText(c.code, c.title, c.text, c.enforcement, c.how_enforced))
        for c in version.clauses.order_by("position", "pk")
    ]


def _version_values(version: LicenseVersion) -> dict[str, Any]:
    return {
        "title": version.title,
        "effective_date": version.effective_date,
        "change_summary": version.change_summary,
        "official_document": version.official_document,
        "clauses": _clause_texts(version) if version.pk else [],
    }


def _frozen(version: LicenseVersion) -> Conflict:
    return Conflict(
        gettext(
            "Version %(version)s of the terms of %(dataset)s is published and can no longer be "
            "changed: licences were granted under its exact words. Draft a new version instead."
        )
        % {"version": version.version, "dataset": version.dataset},
        code="terms-published",
    )


def _check_clauses(clauses: Sequence[ClauseText]) -> None:
    codes = [c.code.strip() for c in clauses]
    problems = []
    if any(not code for code in codes):
        problems.append(gettext("Every clause needs a code (C1, C2, ...)."))
    duplicates = sorted({code for code in codes if code and codes.count(code) > 1})
    if duplicates:
        problems.append(
            gettext("Clause codes must differ; used twice: %(codes)s.")
            % {"codes": ", ".join(duplicates)}
        )
    if any(not c.title.strip() or not c.text.strip() for c in clauses):
        problems.append(gettext("Every clause needs a title and its text."))
    if any(c.enforcement not in Clause.Enforcement.values for c in clauses):
        problems.append(gettext("Choose how each clause is enforced."))
    if problems:
        raise InvalidChange({"clauses": " ".join(problems)})


@transaction.atomic
def licence_version_draft(
    *,
    dataset: Dataset,
    actor: User,
    title: str,
    effective_date: dt.date,
    change_summary: str = "",
    clauses: Sequence[ClauseText] | None = None,
    official_document: File | None = None,
    version: LicenseVersion | None = None,
) -> LicenseVersion:
    """Start the next version of ``dataset``'s terms as a draft, or (given ``version``) change
    a draft; ``clauses``, when given, replace the draft's clauses in their order. A published
    version is refused: it is frozen."""
    _require_dataset(actor, dataset, Permission.CATALOG_LICENSE_PUBLISH)
    if clauses is not None:
        _check_clauses(clauses)
    if version is None:
        Dataset.objects.select_for_update().filter(pk=dataset.pk).first()  # next number once
        number = (dataset.license_versions.aggregate(n=Max("version"))["n"] or 0) + 1
        version = LicenseVersion(dataset=dataset, version=number)
        event = "catalog:licence-version:draft"
    else:
        version = LicenseVersion.objects.select_for_update().get(pk=version.pk)
        if version.dataset_id != dataset.pk:
            raise NotFound(gettext("No such licence version."))
        if version.is_frozen:
            raise _frozen(version)
        event = "catalog:licence-version:update"
    before = _version_values(version)
    version.title, version.effective_date = title, effective_date
    version.change_summary = change_summary
    if official_document is not None:
        version.official_document = official_document
    try:
        version.full_clean(exclude=["status", "published_at"], validate_unique=False)
    except ValidationError as exc:
        raise _invalid(exc) from exc
    version.save()
    if clauses is not None:
        kept = _translations_of(version)
        version.clauses.all().delete()
        created = Clause.objects.bulk_create(
            Clause(
                license_version=version,
                code=c.code.strip(),
                title=c.title.strip(),
                text=c.text.strip(),
                enforcement=c.enforcement,
                how_enforced=c.how_enforced.strip(),
                position=position,
            )
            for position, c in enumerate(clauses)
        )
        _carry_translations(kept, created)
    changes = _changes(before, _version_values(version))
    if changes:
        _audit(
            event,
            actor=actor,
            target=version,
            custodian_id=dataset.custodian_id,
            dataset_id=dataset.pk,
            changes=changes,
            version=version.version,
        )
    return version


def _translations_of(version: LicenseVersion) -> dict[tuple[str, str, str], list]:
    """A draft's clause translations by the English words they translate."""
    if version.pk is None:
        return {}
    kept: dict[tuple[str, str, str], list] = {}
    for t in ClauseTranslation.objects.filter(clause__license_version=version).select_related(
        "clause"
    ):
        kept.setdefault((t.clause.code, t.clause.title, t.clause.text), []).append(t)
    return kept


def _carry_translations(kept: dict[tuple[str, str, str], list], clauses: list[Clause]) -> None:
    """A draft saved again keeps the translations of the clauses whose words did not change;
    a changed clause shows as untranslated until staff translate it again."""
    ClauseTranslation.objects.bulk_create(
        ClauseTranslation(
            clause=clause,
            language=t.language,
            title=t.title,
            text=t.text,
            translated_by_id=t.translated_by_id,
        )
        for clause in clauses
        for t in kept.get((clause.code, clause.title, clause.text), [])
    )


def terms_digest(version: LicenseVersion) -> str:
    """SHA-256 of a version's words as published; the publish event keeps it, so the audit
    trail proves what the terms said even if someone edits the database later."""
    words = {
        "title": version.title,
        "effective_date": version.effective_date.isoformat(),
        "clauses": _clause_texts(version),
    }
    return hashlib.sha256(
        json.dumps(words, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()


@transaction.atomic
def licence_version_publish(*, version: LicenseVersion, actor: User) -> LicenseVersion:
    """Publish a draft: from its effective date new applications are made under it, and from
    now on it cannot be changed. Publishing twice changes nothing."""
    _require_dataset(actor, version.dataset, Permission.CATALOG_LICENSE_PUBLISH)
    version = (
        LicenseVersion.objects.select_for_update(of=("self",))
        .select_related("dataset")
        .get(pk=version.pk)
    )
    if version.is_frozen:
        return version
    if not version.clauses.exists():
        raise Conflict(
            gettext(
                "Version %(version)s has no clauses; add the clauses of the terms before "
                "publishing it."
            )
            % {"version": version.version},
            code="terms-empty",
        )
    version.status = LicenseVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["status", "published_at", "updated"])
    _audit(
        "catalog:licence-version:publish",
        actor=actor,
        target=version,
        custodian_id=version.dataset.custodian_id,
        dataset_id=version.dataset_id,
        changes={
            "status": {"before": LicenseVersion.Status.DRAFT, "after": version.status},
        },
        version=version.version,
        effective_date=version.effective_date.isoformat(),
        terms_sha256=terms_digest(version),
    )
    return version
