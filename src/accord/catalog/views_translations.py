"""Custodian staff's pages for translated catalogue content: the variants' descriptions, and
the translations of a licence version's clauses side by side with the English original
(which stays as published: translations live beside it). Both need the catalogue edit
permission; another custodian's dataset does not exist here (404)."""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from accord.catalog import selectors_staff as selectors
from accord.catalog.forms import TermsTranslationForm, VariantForm
from accord.catalog.models import ClauseTranslation, Dataset, LicenseVersion
from accord.catalog.services_staff import TRANSLATIONS
from accord.catalog.services_translations import terms_translation_update, variant_update
from accord.core.decorators import staff
from accord.core.errors import DomainError
from accord.core.pages import refusal
from accord.core.permissions import Permission

MANAGE = Permission.CATALOG_DATASET_MANAGE
# A posted field's language: a clause's translation, a variant's translated description.
CLAUSE_FIELD = re.compile(r"c\d+-(.+)-(?:title|text)")
VARIANT_FIELD = re.compile(r"variant-\d+-description_(.+)")


def _valid(form, data, field: re.Pattern, offered) -> bool:
    """``form.is_valid()``, and no posted field names a language Accord offers no translation
    into: the form would drop such a field without a word, and its author would think the
    translation saved."""
    if not form.is_valid():
        return False
    unknown = sorted(
        {found[1] for key in data if (found := field.fullmatch(key)) and found[1] not in offered}
    )
    if unknown:
        form.add_error(
            None,
            gettext("There are no translations into “%(codes)s” here.")
            % {"codes": "”, “".join(unknown)}
            + " "
            + gettext("Translations are given in Simplified Chinese or Finnish."),
        )
        return False
    return True


@staff(MANAGE)
def variants(request, slug: str):
    dataset = selectors.editable_dataset_or_404(request.user, slug, MANAGE)
    posted = request.POST.get("variant") if request.method == "POST" else None
    rows = []
    for variant in dataset.variants.order_by("position", "name"):
        data = request.POST if posted == str(variant.pk) else None
        rows.append((variant, VariantForm.for_variant(variant, data)))
    target = next(((v, f) for v, f in rows if posted == str(v.pk)), None)
    if posted is not None and target is None:
        raise Http404
    if target is not None and _valid(target[1], request.POST, VARIANT_FIELD, TRANSLATIONS):
        variant, form = target
        try:
            variant_update(variant=variant, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                gettext("The description of %(variant)s is saved.") % {"variant": variant.name},
            )
            return redirect(
                f"{reverse('catalog:staff_variants', args=[dataset.slug])}#v-{variant.pk}"
            )
    return render(request, "catalog/staff_variants.html", {"dataset": dataset, "rows": rows})


def _version(request, dataset: Dataset) -> LicenseVersion | None:
    """The version asked for (?version=N), else the current published one, else the newest."""
    versions = dataset.license_versions.order_by("-version")
    asked = request.POST.get("version") or request.GET.get("version")
    if asked:
        # ASCII digits only: int() also reads "١" and refuses "²", which isdigit() lets by.
        number = int(asked) if asked.isascii() and asked.isdigit() else None
        found = versions.filter(version=number).first() if number is not None else None
        if found is None:
            raise Http404
        return found
    published = versions.filter(status=LicenseVersion.Status.PUBLISHED).first()
    return published or versions.first()


@staff(MANAGE)
def terms_translations(request, slug: str):
    dataset = selectors.editable_dataset_or_404(request.user, slug, MANAGE)
    version = _version(request, dataset)
    clauses = list(version.clauses.all()) if version else []
    translations = ClauseTranslation.objects.filter(clause__in=clauses)
    form = TermsTranslationForm(
        request.POST if request.method == "POST" and version else None,
        clauses=clauses,
        translations=translations,
    )
    if form.is_bound and _valid(
        form, request.POST, CLAUSE_FIELD, ClauseTranslation.Language.values
    ):
        words = form.changed_words()
        try:
            changed = terms_translation_update(version=version, actor=request.user, words=words)
        except DomainError as exc:
            refusal(request, exc)
        else:
            if changed:
                messages.success(
                    request,
                    gettext("The translations of version %(version)s are saved.")
                    % {"version": version.version},
                )
            else:
                messages.info(request, gettext("Nothing was changed."))
            url = reverse("catalog:staff_terms_translations", args=[dataset.slug])
            return redirect(f"{url}?version={version.version}")
    return render(
        request,
        "catalog/staff_terms_translations.html",
        {
            "dataset": dataset,
            "version": version,
            "versions": dataset.license_versions.order_by("-version"),
            "form": form,
            "languages": ClauseTranslation.Language.choices,
        },
    )
