"""Writes for papers: the author checks a paper (a draft with the verdict, the PDF taken in
through the hostile-file intake), registers it (staff are emailed), chooses whether the dataset
page shows it; staff override a verdict with a reason. Each is one transaction with its audit
event; emails go out after commit."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from accord.access import policy
from accord.accounts.models import User
from accord.audit.services import audit_record
from accord.catalog.models import Dataset, Variant
from accord.core import clock
from accord.core.errors import Conflict, DomainError, NotAllowed, NotFound
from accord.core.storage import protected_storage
from accord.notifications import publications as notify

from . import selectors
from .check import check_paper
from .extraction import PaperFile, read_paper
from .models import Publication

DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
MAX_SUBJECTS = 200


class InvalidPaper(DomainError):
    status = 422
    code = "invalid-paper"


@dataclass(frozen=True)
class PaperDetails:
    """What the author says about the paper."""

    title: str
    authors: str
    venue: str
    year: int
    doi: str = ""
    variants: tuple[str, ...] = ()  # variant slugs
    subjects: tuple[str, ...] = ()  # subject IDs shown in figures, as typed
    is_public: bool = False


def clean_doi(value: str) -> str:
    """``value`` as a bare DOI ("https://doi.org/10.1/x" → "10.1/x"), or InvalidPaper."""
    doi = _DOI_PREFIX.sub("", (value or "").strip())
    if doi and not DOI.match(doi):
        raise InvalidPaper(
            _('"%(doi)s" is not a DOI; a DOI looks like 10.1109/TAFFC.2025.3575127.')
            % {"doi": value.strip()},
            field="doi",
        )
    return doi


def split_subjects(value: str) -> tuple[str, ...]:
    """ "01, 03 s04" → ("01", "03", "s04"): the IDs an author typed, each once."""
    parts = [p for p in re.split(r"[\s,;]+", value or "") if p]
    return tuple(dict.fromkeys(parts))


def _clean_details(details: PaperDetails, dataset: Dataset, actor: User) -> list[Variant]:
    for name, value in (
        ("title", details.title),
        ("authors", details.authors),
        ("venue", details.venue),
    ):
        if not (value or "").strip():
            raise InvalidPaper(_("This field is required."), field=name)
    this_year = clock.now().year
    if not 1900 <= details.year <= this_year + 1:
        raise InvalidPaper(
            _("The year must be between 1900 and %(year)s.") % {"year": this_year + 1},
            field="year",
        )
    if len(details.subjects) > MAX_SUBJECTS:
        raise InvalidPaper(_("Too many subject IDs."), field="subjects")
    licensed = {v.slug: v for v in policy.publication_variants(actor, dataset)}
    if not details.variants:
        raise InvalidPaper(_("Choose the variants the paper used."), field="variants")
    unlicensed = [slug for slug in details.variants if slug not in licensed]
    if unlicensed:
        raise InvalidPaper(
            _("You hold no licence for %(variants)s; choose among %(licensed)s.")
            % {"variants": ", ".join(unlicensed), "licensed": ", ".join(sorted(licensed))},
            field="variants",
        )
    return [licensed[slug] for slug in details.variants]


def _require_licensee(dataset: Dataset, actor: User) -> None:
    if not policy.can_register_publication(actor, dataset):
        raise NotAllowed(
            _(
                "Only the signer or a member of a licence in force for %(dataset)s can register "
                "a paper that used it."
            )
            % {"dataset": dataset.short_name or dataset.name},
            code="not-licensee",
        )


def _audit(publication: Publication, action: str, actor: User | None, **details) -> None:
    audit_record(
        event_type=f"publications:paper:{action}",
        actor=actor,
        target=publication,
        custodian_id=publication.dataset.custodian_id,
        dataset_id=publication.dataset_id,
        details={"title": publication.title, **details},
    )


def _audit_malware(dataset: Dataset, actor: User, data: bytes):
    def record(verdict) -> None:
        with transaction.atomic():
            audit_record(
                event_type="publications:paper:malware-refused",
                actor=actor,
                target=dataset,
                custodian_id=dataset.custodian_id,
                dataset_id=dataset.pk,
                details={"sha256": hashlib.sha256(data).hexdigest(), "scanner": verdict.detail},
            )

    return record


def _store_pdf(paper: PaperFile, written: list[str]) -> str:
    name = f"publications/{paper.sha256[:2]}/{paper.sha256}/paper.pdf"
    storage = protected_storage()
    if not storage.exists(name):
        saved = storage.save(name, ContentFile(paper.data))
        if saved != name:  # a concurrent upload of the same bytes won the race
            storage.delete(saved)
        else:
            written.append(saved)
    return name


def publication_check(
    *,
    dataset: Dataset,
    actor: User,
    details: PaperDetails,
    pdf: bytes | None,
    publication: Publication | None = None,
) -> Publication:
    """Check a paper and keep it as the author's draft with the verdict (``publication``: the
    draft to check again, with changed details or another PDF; without a new PDF its stored
    one is checked again). Refuses a hostile or unreadable PDF, saving nothing."""
    _require_licensee(dataset, actor)
    variants = _clean_details(details, dataset, actor)
    doi = clean_doi(details.doi)
    if publication is not None and (
        publication.registered_by_id != actor.pk
        or publication.dataset_id != dataset.pk
        or publication.status != Publication.Status.DRAFT
    ):
        raise NotFound(_("No such draft paper."))
    # The slow part (scan, sandboxed checks, text) runs before any lock or transaction.
    paper = None
    text = None
    if pdf:
        paper = read_paper(pdf, label=dataset.slug, on_malware=_audit_malware(dataset, actor, pdf))
        text = paper.text
    elif publication is not None and publication.pdf_storage_name:
        with protected_storage().open(publication.pdf_storage_name) as fh:
            stored = fh.read()
        paper = read_paper(
            stored, label=dataset.slug, on_malware=_audit_malware(dataset, actor, stored)
        )
        text = paper.text
    if paper is None and selectors.pdf_required(dataset):
        raise InvalidPaper(
            _("%(dataset)s's agreement asks for an electronic copy of every paper: attach the PDF.")
            % {"dataset": dataset.short_name or dataset.name},
            field="pdf",
        )
    requirements = selectors.requirements_for(dataset, variants)
    verdict = check_paper(text=text, declared_subjects=list(details.subjects), req=requirements)
    written: list[str] = []
    try:
        with transaction.atomic():
            if publication is None:
                publication = Publication(dataset=dataset, registered_by=actor)
            else:
                publication = Publication.objects.select_for_update().get(pk=publication.pk)
                if publication.status != Publication.Status.DRAFT:
                    raise Conflict(_("This paper is already registered."))
            publication.title = details.title.strip()
            publication.authors = details.authors.strip()
            publication.venue = details.venue.strip()
            publication.year = details.year
            publication.doi = doi
            publication.subject_codes = list(details.subjects)
            publication.is_public = details.is_public
            publication.verdict = verdict
            publication.check_state = verdict["state"]
            if paper is not None:
                publication.pdf_storage_name = _store_pdf(paper, written)
                publication.pdf_sha256 = paper.sha256
                publication.pdf_size = paper.size
                publication.pdf_pages = paper.pages
                publication.scan_status = (
                    Publication.ScanStatus.CLEAN
                    if paper.scan.clean
                    else Publication.ScanStatus.NOT_SCANNED
                )
                publication.scan_detail = paper.scan.detail
            publication.save()
            publication.variants.set(variants)
            _audit(
                publication,
                "check",
                actor,
                state=verdict["state"],
                sha256=publication.pdf_sha256,
                variants=sorted(v.slug for v in variants),
                subjects=publication.subject_codes,
            )
    except Exception:
        storage = protected_storage()
        for name in written:
            storage.delete(name)
        raise
    return publication


@transaction.atomic
def publication_submit(*, publication: Publication, actor: User) -> Publication:
    """Register the checked paper: compliant or not, it goes into the custodian's register
    (a non-compliant one flagged with its reasons) and the custodian's staff are emailed.
    Submitting twice registers once."""
    locked = (
        Publication.objects.select_for_update(of=("self",))
        .select_related("dataset", "dataset__custodian")
        .filter(pk=publication.pk, registered_by_id=actor.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("No such paper."))
    publication = locked
    if publication.status == Publication.Status.REGISTERED:
        return publication
    _require_licensee(publication.dataset, actor)
    if selectors.pdf_required(publication.dataset) and not publication.pdf_storage_name:
        raise InvalidPaper(_("Attach the paper's PDF and check it again."), field="pdf")
    publication.status = Publication.Status.REGISTERED
    publication.registered_at = clock.now()
    publication.save(update_fields=["status", "registered_at", "updated"])
    _audit(
        publication,
        "register",
        actor,
        state=publication.check_state,
        reasons=len(publication.verdict.get("reasons", [])),
        sha256=publication.pdf_sha256,
    )
    notify.paper_registered(publication)
    return publication


@transaction.atomic
def publication_set_public(
    *, publication: Publication, actor: User, is_public: bool
) -> Publication:
    """The author chooses whether the dataset's page lists the paper."""
    locked = (
        Publication.objects.select_for_update()
        .select_related("dataset")
        .filter(pk=publication.pk, registered_by_id=actor.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("No such paper."))
    publication = locked
    if publication.is_public != is_public:
        publication.is_public = is_public
        publication.save(update_fields=["is_public", "updated"])
        _audit(publication, "show" if is_public else "hide", actor)
    return publication


@transaction.atomic
def publication_override(
    *, publication: Publication, actor: User, state: str, reason: str
) -> Publication:
    """Staff set a paper's compliance state themselves (the check missed a citation printed
    as an image, a subject has since given consent), with the reason, audited."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidPaper(_("Say why you change the verdict."), field="reason")
    if state not in (Publication.State.COMPLIANT, Publication.State.NON_COMPLIANT, ""):
        raise InvalidPaper(_("Choose compliant or not compliant."), field="state")
    locked = (
        Publication.objects.select_for_update(of=("self",))
        .select_related("dataset")
        .filter(pk=publication.pk)
        .first()
    )
    if locked is None or not policy.can_review_publication(actor, locked):
        raise NotFound(_("No such paper."))
    before = locked.state
    locked.override_state = state
    locked.override_reason = reason[:2000]
    locked.overridden_by = actor
    locked.overridden_at = clock.now()
    locked.save(
        update_fields=[
            "override_state",
            "override_reason",
            "overridden_by",
            "overridden_at",
            "updated",
        ]
    )
    _audit(locked, "override", actor, before=before, after=locked.state, reason=reason[:2000])
    return locked
