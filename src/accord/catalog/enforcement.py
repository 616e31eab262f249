"""What Accord itself does about a licence clause, derived from the code rather than from what a
clause's author wrote: each enforcement mechanism says whether it is built and which tests prove
it, and a clause is shown as enforced only when every mechanism it relies on is built."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accord.catalog.models import Clause


@dataclass(frozen=True)
class Mechanism:
    key: str
    does: str | Promise  # what Accord does, in a sentence a licensee understands
    implemented: bool
    # pytest node ids ("tests/<app>/test_x.py::test_y") that exercise it; a test fails when an
    # implemented mechanism names none, or names one that does not exist.
    tests: tuple[str, ...] = ()


_MECHANISMS = (
    Mechanism(
        "affiliated-email",
        _("Free-mail addresses are refused for the signer, and the address is verified."),
        True,
        (
            "tests/agreements/test_application_flow.py::test_free_mail_signer_is_refused_with_the_reason",
            "tests/accounts/test_signup.py::test_free_mail_signup_for_affiliated_dataset_is_refused_with_reason",
        ),
    ),
    Mechanism(
        "signer-role",
        _(
            "A named signer confirms the application from their own account before the "
            "custodian may approve it, and is copied on every message."
        ),
        True,
        (
            "tests/agreements/test_application_flow.py::test_student_submission_asks_the_signer_to_confirm_and_copies_them",
            "tests/agreements/test_review.py::test_approval_waits_for_the_signer",
        ),
    ),
    Mechanism(
        "signed-agreement",
        _("Access starts only after the signed agreement is uploaded and the custodian approves."),
        True,
        (
            "tests/agreements/test_application_flow.py::test_submit_without_signed_scan_says_what_is_missing",
            "tests/agreements/test_review.py::test_approval_grants_a_licence_with_the_application_terms_and_members",
        ),
    ),
    Mechanism(
        "signer-manages-members",
        _("Only the signer adds or removes members; a removed member loses access at once."),
        True,
        (
            "tests/licences/test_licences.py::test_only_the_signer_manages_members",
            "tests/licences/test_licences.py::test_signer_removes_a_member_and_access_ends_at_once",
        ),
    ),
    Mechanism(
        "malware-scan",
        _("Files are scanned for malware at ingest; an infected file is never served."),
        True,
        (
            "tests/catalog/test_clamav.py::test_eicar_is_caught_and_nothing_is_ingested",
            "tests/access/test_entitlements.py::test_infected_file_is_never_downloadable",
        ),
    ),
    Mechanism(
        "checksums",
        _("Every file carries a SHA-256 checksum in a signed manifest the download client checks."),
        True,
        (
            "tests/catalog/test_ingest.py::test_ingest_records_size_and_sha256_of_every_file",
            "tests/downloads/test_manifests.py::test_one_changed_byte_fails_verification",
        ),
    ),
    Mechanism(
        "citation-generator",
        _(
            "The required citations for any choice of variants are given on this page and in "
            "the API as text, BibTeX, RIS and CSL-JSON, and in every download as CITATION.cff."
        ),
        True,
        (
            "tests/catalog/test_citations.py::test_every_combination_of_smic_variants_requires_the_base_paper_and_each_variants_own",
            "tests/downloads/test_documents.py::test_citation_cff_is_valid_cff_1_2_0_with_the_required_papers",
            "tests/catalog/test_demo_catalogue.py::test_bibtex_download_contains_every_required_entry",
            "tests/api/test_catalog_api.py::test_citations_for_a_variant_include_its_own_and_dataset_wide_ones",
        ),
    ),
    Mechanism(
        "consent-registry",
        _(
            "A per-subject registry says whose images may be published; a withdrawn subject "
            "is never publishable."
        ),
        True,
        (
            "tests/catalog/test_catalogue_services.py::test_withdrawing_a_subject_records_date_and_reason_and_hides_their_images",
            "tests/catalog/test_pages.py::test_withdrawn_subject_is_never_publishable",
        ),
    ),
    Mechanism(
        "private-folders",
        _("The download client makes private folders and warns about shared ones."),
        True,
        (
            "tests/client/test_fetch_e2e.py::test_shared_location_is_warned_about",
            "tests/client/test_locations.py::test_make_private_dir_ignores_a_loose_umask",
        ),
    ),
    Mechanism(
        "publication-register",
        _(
            "Licensees register their papers, with the PDF where the terms ask for a copy; "
            "the custodian is told of each and keeps the list."
        ),
        True,
        (
            "tests/publications/test_register.py::test_a_flagged_paper_can_be_registered_and_staff_are_emailed",
            "tests/publications/test_register.py::test_smic_requires_the_pdf",
            "tests/publications/test_staff.py::test_staff_see_papers_with_compliance_state",
        ),
    ),
    Mechanism(
        "publication-citation-check",
        _(
            "Registered papers are checked automatically for the required citations and the "
            "dataset's name; missing ones are reported to the author and the custodian."
        ),
        True,
        (
            "tests/publications/test_check.py::test_missing_smic_e_paper_is_reported_by_name",
            "tests/publications/test_check.py::test_casmemg_named_wrongly_is_flagged_with_the_rule",
        ),
    ),
    Mechanism(
        "image-clearance",
        _(
            "The subjects shown in a registered paper's figures are checked against the "
            "publishable subjects; any other is refused with the rule."
        ),
        True,
        (
            "tests/publications/test_check.py::test_subject_02_of_smic_is_refused_with_the_rule_quoted",
        ),
    ),
    Mechanism(
        "terms-change-opt-out",
        _(
            "New terms come with notice; the signer accepts or opts out, and opting out ends "
            "access at once."
        ),
        True,
        (
            "tests/licences/test_terms_change.py::test_terms_change_through_notice_reminders_accept_opt_out_and_lapse",
        ),
    ),
)

MECHANISMS: dict[str, Mechanism] = {m.key: m for m in _MECHANISMS}


@dataclass(frozen=True)
class ClauseHandling:
    """A clause as the dataset page shows it: the honest label and what Accord does."""

    clause: Clause
    label: str | Promise
    enforced: bool
    does: list[str | Promise] = field(default_factory=list)
    planned: list[str | Promise] = field(default_factory=list)


def is_enforced(clause: Clause) -> bool:
    """A clause is enforced by Accord only if it claims so and every mechanism it names is
    built; an unknown key counts as not built."""
    claimed = clause.enforcement in (Clause.Enforcement.ENFORCED, Clause.Enforcement.BOTH)
    keys = list(clause.mechanisms or [])
    return (
        claimed and bool(keys) and all(k in MECHANISMS and MECHANISMS[k].implemented for k in keys)
    )


def clause_handling(clause: Clause) -> ClauseHandling:
    keys = list(clause.mechanisms or [])
    known = [MECHANISMS[k] for k in keys if k in MECHANISMS]
    enforced = is_enforced(clause)
    if enforced and clause.enforcement == Clause.Enforcement.BOTH:
        label = _("Enforced and attested")
    elif enforced:
        label = _("Enforced by Accord")
    elif clause.needs_attestation:
        label = _("Signed attestation")
    else:
        label = _("Not yet enforced by Accord")
    return ClauseHandling(
        clause=clause,
        label=label,
        enforced=enforced,
        does=[m.does for m in known if m.implemented],
        planned=[m.does for m in known if not m.implemented],
    )


def clauses_handling(clauses: Iterable[Clause]) -> list[ClauseHandling]:
    return [clause_handling(c) for c in clauses]
