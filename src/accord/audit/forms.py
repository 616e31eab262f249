"""The filter form of the staff audit trail (also used for exports)."""

from __future__ import annotations

from django import forms

from accord.audit.selectors import EventFilter
from accord.catalog.models import Dataset


class EventFilterForm(forms.Form):
    dataset = forms.ModelChoiceField(queryset=Dataset.objects.none(), required=False)
    licence = forms.CharField(
        required=False, max_length=32, help_text="Licence reference, e.g. SMIC-2026-0001"
    )
    user = forms.EmailField(required=False, label="User (email)")
    event_type = forms.CharField(
        required=False, max_length=100, help_text="Exact type, or a prefix such as agreements:"
    )
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, custodian_ids: set[int] | None, **kwargs):
        super().__init__(*args, **kwargs)
        datasets = Dataset.objects.select_related("custodian").order_by("name")
        if custodian_ids is not None:
            datasets = datasets.filter(custodian_id__in=custodian_ids)
        self.fields["dataset"].queryset = datasets
        self.custodian_ids = custodian_ids

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError("'Since' is after 'until'; swap the two dates.")
        return data

    def to_filter(self) -> EventFilter:
        """Only call after is_valid(). An unknown licence reference matches nothing."""
        from accord.licences.models import Licence

        d = self.cleaned_data
        licence_id = None
        if d.get("licence"):
            licences = Licence.objects.filter(reference__iexact=d["licence"].strip())
            if self.custodian_ids is not None:
                licences = licences.filter(dataset__custodian_id__in=self.custodian_ids)
            licence_id = licences.values_list("id", flat=True).first() or -1
        return EventFilter(
            dataset_id=d["dataset"].id if d.get("dataset") else None,
            licence_id=licence_id,
            user=d.get("user") or "",
            event_type=(d.get("event_type") or "").strip(),
            since=d.get("since"),
            until=d.get("until"),
        )
