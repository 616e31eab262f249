"""Web forms of the licence pages. They only collect input; the services validate it against
the dataset's application rules (the same rules as the application form's member rows)."""

from __future__ import annotations

from django import forms

from accord.core.validators import SingleLineField


class MemberForm(forms.Form):
    full_name = SingleLineField(max_length=200)
    email = forms.EmailField()

    def __init__(self, *args, member_fields=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.member_fields = list(member_fields)
        for f in self.member_fields:
            self.fields[f"extra_{f.key}"] = SingleLineField(
                max_length=200, required=f.required, label=f.label
            )

    def extra(self) -> dict:
        return {f.key: self.cleaned_data.get(f"extra_{f.key}", "") for f in self.member_fields}
