"""The author's paper form: details, the variants the paper used (only those licensed) and
the subjects in its figures, and the PDF."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import PaperDetails, split_subjects


class PaperForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=500)
    authors = forms.CharField(
        label=_("Authors"), widget=forms.Textarea(attrs={"rows": 2}), max_length=3000
    )
    venue = forms.CharField(label=_("Venue (journal or conference)"), max_length=300)
    year = forms.IntegerField(label=_("Year"), min_value=1900, max_value=2200)
    doi = forms.CharField(label=_("DOI"), max_length=200, required=False)
    variants = forms.MultipleChoiceField(
        label=_("Variants the paper used"), widget=forms.CheckboxSelectMultiple
    )
    subjects = forms.CharField(
        label=_("Subjects whose images appear in the paper's figures"),
        required=False,
        max_length=2000,
        help_text=_("Their IDs, separated by commas (e.g. 01, 03). Empty: no face images."),
    )
    pdf = forms.FileField(label=_("The paper (PDF)"), required=False)
    is_public = forms.BooleanField(
        label=_("List this paper on the dataset's public page"), required=False
    )

    def __init__(self, *args, variants, pdf_required: bool, has_pdf: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["variants"].choices = [(v.slug, v.name) for v in variants]
        if pdf_required and not has_pdf:
            self.fields["pdf"].required = True
            self.fields["pdf"].help_text = _(
                "Required: the dataset's agreement asks for an electronic copy of every paper."
            )
        elif has_pdf:
            self.fields["pdf"].help_text = _("Leave empty to keep the PDF already checked.")

    def details(self) -> PaperDetails:
        data = self.cleaned_data
        return PaperDetails(
            title=data["title"],
            authors=data["authors"],
            venue=data["venue"],
            year=data["year"],
            doi=data["doi"],
            variants=tuple(data["variants"]),
            subjects=split_subjects(data["subjects"]),
            is_public=data["is_public"],
        )

    @staticmethod
    def initial_from(publication) -> dict:
        return {
            "title": publication.title,
            "authors": publication.authors,
            "venue": publication.venue,
            "year": publication.year,
            "doi": publication.doi,
            "variants": [v.slug for v in publication.variants.all()],
            "subjects": ", ".join(publication.subject_codes),
            "is_public": publication.is_public,
        }


class OverrideForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Compliance state"),
        choices=[
            ("compliant", _("Compliant")),
            ("non_compliant", _("Not compliant")),
            ("", _("Back to the automatic verdict")),
        ],
        required=False,
    )
    reason = forms.CharField(
        label=_("Why"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
