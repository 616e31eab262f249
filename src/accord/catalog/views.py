"""Public catalogue pages: anyone may read them."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from accord.catalog import citations, selectors
from accord.catalog.enforcement import clauses_handling
from accord.core.decorators import public
from accord.core.pages import paginate

PAGE_SIZE = 50


@public
def dataset_list(request):
    datasets, _ = paginate(request, selectors.published_datasets(), PAGE_SIZE)
    return render(request, "catalog/dataset_list.html", {"datasets": datasets})


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
            "clauses": clauses_handling(selectors.clauses_read_in(license_version.clauses.all()))
            if license_version
            else [],
            "citations": selectors.dataset_citations(dataset),
            "how_to_cite": _how_to_cite(request, dataset),
            "rules": rules,
            "apply_url": reverse("agreements:application_start", args=[dataset.slug]),
        },
    )


def _chosen_variants(request, dataset):
    """The variants ticked in the "How to cite" form (?variants=a&variants=b or a,b); an
    unknown slug is ignored (the page shows what was understood)."""
    slugs = {s.strip() for value in request.GET.getlist("variants") for s in value.split(",")}
    return list(dataset.variants.filter(slug__in=slugs).order_by("position", "name"))


def _how_to_cite(request, dataset) -> dict:
    chosen = _chosen_variants(request, dataset)
    cited = citations.citation_set(dataset, chosen)
    chosen_slugs = {v.slug for v in cited.variants}
    query = ",".join(v.slug for v in cited.variants)
    api_url = reverse("api:get_citations", kwargs={"slug": dataset.slug})
    formats = [
        {
            "key": fmt,
            "label": label,
            "text": cited.render(fmt),
            "url": f"{api_url}?{urlencode({'variants': query, 'format': fmt})}",
        }
        for fmt, label in (
            ("text", _("Formatted text")),
            ("bibtex", "BibTeX"),
            ("ris", "RIS"),
            ("csl-json", "CSL-JSON"),
        )
    ]
    return {
        "variants": [
            {"variant": v, "checked": v.slug in chosen_slugs}
            for v in dataset.variants.order_by("position", "name")
        ],
        "citations": cited.citations,
        "naming_rule": cited.naming_rule,
        "formats": formats,
    }


@public
def dataset_bibtex(request, slug: str):
    dataset = selectors.published_dataset_or_404(slug)
    body = citations.citation_set(dataset, _chosen_variants(request, dataset)).render("bibtex")
    response = HttpResponse(body, content_type="application/x-bibtex; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{dataset.slug}.bib"'
    return response
