"""Writes of the catalogue's translated content by custodian staff: a variant's description
(the English original and its translated columns) and the translations of a licence
version's clauses, which live beside the clauses (``ClauseTranslation``) so a published
version's hashed words never change. Both need the catalogue edit permission and are audited
with the before and after of what changed; a call that changes nothing records nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext

from accord.catalog.models import Clause, ClauseTranslation, LicenseVersion, Variant
from accord.catalog.services_staff import (
    TRANSLATIONS,
    InvalidChange,
    _audit,
    _check_fields,
    _original_language,
    _require_dataset,
    _update_audited,
)
from accord.core.errors import NotFound
from accord.core.permissions import Permission

if TYPE_CHECKING:
    from accord.accounts.models import User

TRANSLATION_EVENT = "catalog:terms-translation:update"
VARIANT_FIELDS = ("description", *(f"description_{lang}" for lang in TRANSLATIONS))
LANGUAGES = tuple(ClauseTranslation.Language.values)
TITLE_LIMIT: int = ClauseTranslation._meta.get_field("title").max_length or 300
TEXT_LIMIT = 20000


# --- Variants ---------------------------------------------------------------------------------


def _variant_values(variant: Variant) -> dict[str, Any]:
    with _original_language():
        values = {name: getattr(variant, name) for name in VARIANT_FIELDS}
    # An untranslated column is NULL in the database and "" in a form: the same "none".
    return {n: "" if v is None else v for n, v in values.items()}


@transaction.atomic
def variant_update(*, variant: Variant, actor: User, **fields: Any) -> Variant:
    """Change a variant's description: the English original (``description``) and its
    translations (``description_zh_hans``, ``description_fi``; empty shows English)."""
    _require_dataset(actor, variant.dataset, Permission.CATALOG_DATASET_MANAGE)
    _check_fields(fields, VARIANT_FIELDS)
    variant = (
        Variant.objects.select_for_update(of=("self",)).select_related("dataset").get(pk=variant.pk)
    )
    _update_audited(
        variant,
        {name: (value or "").strip() for name, value in fields.items()},
        _variant_values,
        "catalog:variant:update",
        actor=actor,
        dataset=variant.dataset,
        clean={"validate_unique": False, "validate_constraints": False},
        variant=variant.slug,
    )
    return variant


# --- Translations of the terms ----------------------------------------------------------------


@dataclass(frozen=True)
class ClauseWords:
    """A clause's title and text in one language, as staff typed them. None keeps what is
    saved (what the editor did not touch); both empty removes the translation."""

    code: str
    language: str
    title: str | None = None
    text: str | None = None


def _check_words(version: LicenseVersion, words: Sequence[ClauseWords]) -> dict[str, Clause]:
    clauses = {c.code: c for c in version.clauses.all()}
    problems = []
    unknown = sorted({w.code for w in words if w.code not in clauses})
    if unknown:
        problems.append(
            gettext("Version %(version)s has no clause %(codes)s.")
            % {"version": version.version, "codes": ", ".join(unknown)}
        )
    if any(w.language not in LANGUAGES for w in words):
        problems.append(gettext("Translations are given in Simplified Chinese or Finnish."))
    long_titles = sorted({w.code for w in words if len((w.title or "").strip()) > TITLE_LIMIT})
    if long_titles:
        problems.append(
            gettext("A clause title has at most %(limit)s characters; too long: %(codes)s.")
            % {"limit": TITLE_LIMIT, "codes": ", ".join(long_titles)}
        )
    if any(len((w.text or "").strip()) > TEXT_LIMIT for w in words):
        problems.append(
            gettext("A clause's text has at most %(limit)s characters.") % {"limit": TEXT_LIMIT}
        )
    if problems:
        raise InvalidChange({"translations": " ".join(problems)})
    return clauses


@transaction.atomic
def terms_translation_update(
    *, version: LicenseVersion, actor: User, words: Sequence[ClauseWords]
) -> int:
    """Set the translations of ``version``'s clauses, published or draft: each of ``words``
    replaces that clause's translation in that language (both fields empty removes it, and
    readers see the English). The clauses themselves, and so ``terms_digest``, never change.
    Returns how many translations changed; one audit event names them all."""
    _require_dataset(actor, version.dataset, Permission.CATALOG_DATASET_MANAGE)
    locked = (
        LicenseVersion.objects.select_for_update(of=("self",))
        .select_related("dataset")
        .filter(pk=version.pk)
        .first()
    )
    if locked is None:  # a draft replaced or deleted meanwhile
        raise NotFound(gettext("No such licence version."))
    version = locked
    clauses = _check_words(version, words)
    existing = {
        (t.clause.code, t.language): t
        for t in ClauseTranslation.objects.filter(clause__license_version=version).select_related(
            "clause"
        )
    }
    changes: dict[str, dict[str, Any]] = {}
    for w in words:
        row = existing.get((w.code, w.language))
        before = (row.title, row.text) if row else ("", "")
        title = before[0] if w.title is None else w.title.strip()
        text = before[1] if w.text is None else w.text.strip()
        if before == (title, text):
            continue
        key = f"{w.code}:{w.language}"
        if title or text:
            if row is None:
                row = ClauseTranslation(clause=clauses[w.code], language=w.language)
                existing[(w.code, w.language)] = row
            row.title, row.text, row.translated_by = title, text, actor
            row.save()
        elif row is not None:  # both emptied: the translation goes, readers see English
            row.delete()
            del existing[(w.code, w.language)]
        if before[0] != title:
            changes[f"{key}:title"] = {"before": before[0], "after": title}
        if before[1] != text:
            changes[f"{key}:text"] = {"before": before[1], "after": text}
    if changes:
        # The translator is the event's actor (kept beside the chain); the hashed details
        # hold only the clauses' codes, the languages and the words.
        _audit(
            TRANSLATION_EVENT,
            actor=actor,
            target=version,
            custodian_id=version.dataset.custodian_id,
            dataset_id=version.dataset_id,
            changes=changes,
            version=version.version,
        )
    return len({k.rsplit(":", 1)[0] for k in changes})
