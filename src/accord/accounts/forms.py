"""Sign-up extras: the person's name and, when signing up to apply for a dataset, that
dataset's email rule."""

from __future__ import annotations

import re

from django import forms

from accord.accounts.email_rules import affiliated_email_error

_APPLY_PATH = re.compile(r"^/apply/new/(?P<slug>[-\w]+)/")


def _dataset_from_next(next_url: str) -> str | None:
    """Someone who clicked "Apply for access" and then chose to sign up arrives with
    ?next=/apply/new/<dataset>/: that dataset's email rule applies to them too."""
    match = _APPLY_PATH.match(next_url or "")
    return match.group("slug") if match else None


class SignupExtraForm(forms.Form):
    full_name = forms.CharField(max_length=200, label="Full name")
    dataset = forms.SlugField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        email = cleaned.get("email") or self.data.get("email", "")
        slug = cleaned.get("dataset") or _dataset_from_next(self.data.get("next", ""))
        if slug and email:
            from accord.catalog.models import Dataset

            dataset = Dataset.objects.filter(slug=slug, is_published=True).first()
            if dataset is not None and dataset.requires_affiliated_email:
                message = affiliated_email_error(email)
                if message:
                    self.add_error("email", f"{dataset.name}: {message}")
        return cleaned

    def signup(self, request, user) -> None:
        user.full_name = self.cleaned_data["full_name"].strip()
        user.save(update_fields=["full_name"])
