"""Staff pages about a dataset's files: which subject each file belongs to and the variants'
releases, and the page of one consent withdrawal (the releases it published, the shared files
to check, who has and has not attested deleting the files). Fetched through policy: another
custodian's dataset or withdrawal does not exist here (404)."""

from __future__ import annotations

from dataclasses import replace

from django.shortcuts import render

from accord.catalog import selectors_files as selectors
from accord.catalog import selectors_staff
from accord.core.decorators import staff
from accord.core.pages import paginate
from accord.core.permissions import Permission

SUBJECTS = Permission.CATALOG_SUBJECT_MANAGE
WITHDRAW = Permission.CATALOG_SUBJECT_WITHDRAW
FILES_PAGE_SIZE = 100


def _page(request, files, param: str):
    return paginate(request, files, FILES_PAGE_SIZE, param=param)[0]


@staff(SUBJECTS)
def dataset_files(request, slug: str):
    dataset = selectors_staff.editable_dataset_or_404(request.user, slug, SUBJECTS)
    # Each variant's files have their own pages (?<variant slug>_page=N).
    variants = [
        replace(item, files=_page(request, item.files, f"{item.variant.slug}_page"))
        for item in selectors.dataset_files(dataset)
    ]
    return render(request, "catalog/staff_files.html", {"dataset": dataset, "variants": variants})


@staff(WITHDRAW)
def withdrawal_detail(request, slug: str, code: str):
    withdrawal = selectors.withdrawal_or_404(request.user, slug, code)
    attestations = selectors.withdrawal_attestations(withdrawal)
    return render(
        request,
        "catalog/staff_withdrawal.html",
        {
            "dataset": withdrawal.subject.dataset,
            "withdrawal": withdrawal,
            "subject": withdrawal.subject,
            "releases": selectors.withdrawal_releases(withdrawal),
            "to_review": selectors.withdrawal_files_to_review(withdrawal),
            "attestations": attestations,
            "attested": sum(1 for r in attestations if r.attestation.attested_at),
        },
    )
