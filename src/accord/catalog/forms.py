"""Forms of the custodian staff's catalogue pages. They only read and check what was typed;
the views hand the cleaned values to catalog.services_staff, which saves and audits."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accord.catalog.models import (
    Clause,
    ClauseTranslation,
    Dataset,
    PublicationRule,
    Subject,
    Variant,
)

MODES = [
    (PublicationRule.Mode.ALLOW, _("Only the listed subjects may be shown")),
    (PublicationRule.Mode.DENY, _("All subjects except the listed ones may be shown")),
]


class DatasetForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    short_name = forms.CharField(
        label=_("Short name"),
        max_length=40,
        required=False,
        help_text=_("The name publications must use for the data."),
    )
    summary = forms.CharField(label=_("Summary (one line)"), max_length=300)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 8}))
    # Translations (catalog.translation): empty shows readers the English above.
    name_zh_hans = forms.CharField(
        label=_("Name in Simplified Chinese"), max_length=200, required=False
    )
    summary_zh_hans = forms.CharField(
        label=_("Summary in Simplified Chinese"), max_length=300, required=False
    )
    description_zh_hans = forms.CharField(
        label=_("Description in Simplified Chinese"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "lang": "zh-hans"}),
        help_text=_("Leave empty to show the English text to readers of this language."),
    )
    name_fi = forms.CharField(label=_("Name in Finnish"), max_length=200, required=False)
    summary_fi = forms.CharField(label=_("Summary in Finnish"), max_length=300, required=False)
    description_fi = forms.CharField(
        label=_("Description in Finnish"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "lang": "fi"}),
        help_text=_("Leave empty to show the English text to readers of this language."),
    )
    modalities = forms.CharField(
        label=_("Modalities"),
        required=False,
        help_text=_("Comma-separated, e.g. video, depth, thermal."),
    )
    homepage = forms.URLField(label=_("Homepage"), required=False, assume_scheme="https")
    is_published = forms.BooleanField(label=_("Listed in the public catalogue"), required=False)
    requires_affiliated_email = forms.BooleanField(
        label=_("Signers must use an institutional email address"),
        required=False,
        help_text=_("Refuses free-mail and disposable addresses for signers of this dataset."),
    )
    notice_days = forms.IntegerField(
        label=_("Notice for new terms (days)"),
        min_value=0,
        max_value=3650,
        help_text=_("New terms take effect no sooner than this many days after publication."),
    )
    terms_no_action = forms.ChoiceField(
        label=_("A licence that has not accepted new terms when they take effect is"),
        choices=Dataset.TermsNoAction.choices,
    )
    terms_acceptance = forms.ChoiceField(
        label=_("Signers accept new terms by"), choices=Dataset.TermsAcceptance.choices
    )
    licence_term_days = forms.IntegerField(
        label=_("Licence term (days)"),
        min_value=1,
        max_value=36500,
        required=False,
        help_text=_("Licences expire this many days after they are granted; empty: never."),
    )
    renewal_requires_signed_agreement = forms.BooleanField(
        label=_("Renewal needs a newly signed agreement"), required=False
    )
    members_attest_deletion = forms.BooleanField(
        label=_("Members who downloaded also confirm deletion when a licence ends"),
        required=False,
    )
    application_retention_days = forms.IntegerField(
        label=_("Keep ended applications for (days)"),
        min_value=1,
        max_value=36500,
        required=False,
        help_text=_(
            "Rejected, withdrawn and abandoned applications are deleted with their answers and "
            "uploaded agreements this many days after their last change; empty: the portal's "
            "setting."
        ),
    )

    @classmethod
    def for_dataset(cls, dataset: Dataset, data=None) -> DatasetForm:
        with translation.override(settings.LANGUAGE_CODE):  # name, summary...: the originals
            initial = {name: getattr(dataset, name) for name in cls.base_fields}
        initial["modalities"] = ", ".join(dataset.modalities or [])
        return cls(data, initial=initial)

    def clean_modalities(self) -> list[str]:
        raw = self.cleaned_data["modalities"]
        return [m.strip() for m in raw.split(",") if m.strip()]


class VariantForm(forms.Form):
    """A variant's description and its translations, as the dataset's description is edited."""

    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    # Translations (catalog.translation): empty shows readers the English above.
    description_zh_hans = forms.CharField(
        label=_("Description in Simplified Chinese"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "lang": "zh-hans"}),
        help_text=_("Leave empty to show the English text to readers of this language."),
    )
    description_fi = forms.CharField(
        label=_("Description in Finnish"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "lang": "fi"}),
        help_text=_("Leave empty to show the English text to readers of this language."),
    )

    @classmethod
    def for_variant(cls, variant: Variant, data=None) -> VariantForm:
        with translation.override(settings.LANGUAGE_CODE):  # description: the original
            initial = {name: getattr(variant, name) or "" for name in cls.base_fields}
        return cls(data, initial=initial, prefix=f"variant-{variant.pk}")


class TermsTranslationForm(forms.Form):
    """The translations of one licence version's clauses: a title and a text per clause and
    language. Each field carries the value the page showed (``show_hidden_initial``), so only
    what this editor changed is saved and a colleague's concurrent work in the other fields
    is kept."""

    TEXT_LIMIT = 20000

    def __init__(self, data=None, *, clauses: list[Clause], translations=None):
        super().__init__(data)
        self.clauses = clauses
        found = {(t.clause_id, t.language): t for t in translations or []}
        self.rows = []
        for clause in clauses:
            cells = []
            for language, name in ClauseTranslation.Language.choices:
                t = found.get((clause.pk, language))
                names = {"code": clause.code, "language": name}
                title = forms.CharField(
                    max_length=150,
                    required=False,
                    initial=t.title if t else "",
                    show_hidden_initial=True,
                    widget=forms.TextInput(
                        attrs={
                            "lang": language,
                            "aria-label": gettext("Title of %(code)s in %(language)s") % names,
                        }
                    ),
                )
                text = forms.CharField(
                    max_length=self.TEXT_LIMIT,
                    required=False,
                    initial=t.text if t else "",
                    show_hidden_initial=True,
                    widget=forms.Textarea(
                        attrs={
                            "rows": 4,
                            "lang": language,
                            "aria-label": gettext("Text of %(code)s in %(language)s") % names,
                        }
                    ),
                )
                key = self._key(clause, language)
                self.fields[f"{key}-title"] = title
                self.fields[f"{key}-text"] = text
                cells.append(
                    {
                        "language": language,
                        "name": name,
                        "title": self[f"{key}-title"],
                        "text": self[f"{key}-text"],
                        "missing": not (t and (t.title or t.text)),
                    }
                )
            self.rows.append({"clause": clause, "cells": cells})

    @staticmethod
    def _key(clause: Clause, language: str) -> str:
        return f"c{clause.pk}-{language}"

    def missing(self) -> list[dict]:
        """Per language, how many clauses have no translation yet."""
        return [
            {
                "name": name,
                "count": sum(
                    1
                    for r in self.rows
                    for c in r["cells"]
                    if c["missing"] and c["language"] == language
                ),
            }
            for language, name in ClauseTranslation.Language.choices
        ]

    def changed_words(self):
        """The (clause, language) pairs this editor changed, as the service takes them."""
        from accord.catalog.services_translations import ClauseWords

        changed = set(self.changed_data)
        words = []
        for clause in self.clauses:
            for language in ClauseTranslation.Language.values:
                key = self._key(clause, language)
                title, text = f"{key}-title", f"{key}-text"
                if title in changed or text in changed:
                    words.append(
                        ClauseWords(
                            code=clause.code,
                            language=language,
                            title=self.cleaned_data[title] if title in changed else None,
                            text=self.cleaned_data[text] if text in changed else None,
                        )
                    )
        return words


class SubjectAddForm(forms.Form):
    code = forms.CharField(
        label=_("Subject code"),
        max_length=20,
        help_text=_("The dataset's own ID for the subject, e.g. s01 or 07."),
    )


class SubjectWithdrawForm(forms.Form):
    subject = forms.CharField(max_length=20, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why (for your records; never shown to researchers)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    withdrawn_on = forms.DateField(
        label=_("Consent withdrawn on (empty: today)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_withdrawn_on(self) -> dt.datetime | None:
        day = self.cleaned_data["withdrawn_on"]
        if day is None:
            return None
        if day > timezone.localdate():
            raise forms.ValidationError(
                gettext("The date cannot be in the future; use today's date or an earlier one.")
            )
        if day == timezone.localdate():
            return timezone.now()
        return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


class PublicationRuleForm(forms.Form):
    """One rule; a new rule also chooses its scope among those without one."""

    scope = forms.ChoiceField(label=_("Applies to"), required=False)
    mode = forms.ChoiceField(label=_("Whose images may appear in papers"), choices=MODES)
    subjects = forms.ModelMultipleChoiceField(
        label=_("Listed subjects"),
        queryset=Subject.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    notice = forms.CharField(
        label=_("Notice that must accompany published images"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    conditions = forms.CharField(
        label=_("Other conditions"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, dataset: Dataset, scopes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subjects"].queryset = dataset.subjects.order_by("code")
        self.fields["subjects"].label_from_instance = _subject_label
        if scopes is None:
            del self.fields["scope"]
        else:
            self.fields["scope"].choices = scopes
            self.fields["scope"].required = True


def _subject_label(subject: Subject) -> str:
    if subject.status == Subject.Status.WITHDRAWN:
        return gettext("%(code)s (consent withdrawn: never shown)") % {"code": subject.code}
    return subject.code
