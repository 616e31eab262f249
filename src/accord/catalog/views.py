"""Public catalogue pages: anyone may read them."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from accord.catalog import selectors
from accord.catalog.enforcement import clauses_handling
from accord.core.decorators import public


@public
def dataset_list(request):
    return render(
        request, "catalog/dataset_list.html", {"datasets": selectors.published_datasets()}
    )


@public
def dataset_detail(request, slug: str):
    dataset = selectors.published_dataset_or_404(slug)
    license_version = dataset.current_license()
    rules = [
        {"rule": rule, "subjects": selectors.publishable_subjects(rule)}
        for rule in selectors.publication_rules(dataset)
    ]
    return render(
        request,
        "catalog/dataset_detail.html",
        {
            "dataset": dataset,
            "variants": selectors.variants_with_totals(dataset),
            "license": license_version,
            "clauses": clauses_handling(license_version.clauses.all()) if license_version else [],
            "citations": selectors.dataset_citations(dataset),
            "rules": rules,
            "apply_url": reverse("agreements:application_start", args=[dataset.slug]),
        },
    )


@public
def dataset_bibtex(request, slug: str):
    dataset = selectors.published_dataset_or_404(slug)
    body = "\n\n".join(c.bibtex.strip() for c in selectors.dataset_citations(dataset)) + "\n"
    response = HttpResponse(body, content_type="application/x-bibtex; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{dataset.slug}.bib"'
    return response
