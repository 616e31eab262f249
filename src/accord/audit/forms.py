"""The filter form of the staff audit trail (also used for exports)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accord.audit.selectors import EventFilter
from accord.catalog.models import Dataset

# The dates the trail shows ("2026-11-30 21:09:47") and the date picker's, pasted or typed.
DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y"]


class EventFilterForm(forms.Form):
    dataset = forms.ModelChoiceField(
        queryset=Dataset.objects.none(), required=False, label=_("Dataset")
    )
    licence = forms.CharField(
        required=False,
        max_length=32,
        label=_("Licence"),
        help_text=_("Licence reference, e.g. SMIC-2026-0001"),
    )
    application = forms.CharField(
        required=False,
        max_length=32,
        label=_("Application"),
        help_text=_("Application reference, as on the review queue"),
    )
    file = forms.CharField(
        required=False,
        max_length=500,
        label=_("File"),
        help_text=_("A file's path, or part of it, e.g. smic-e/video/s01.avi"),
    )
    user = forms.EmailField(required=False, label=_("User (email)"))
    event_type = forms.CharField(
        required=False,
        max_length=100,
        label=_("Event type"),
        help_text=_("Exact type, or a prefix such as agreements: or downloads"),
    )
    since = forms.DateField(
        required=False,
        label=_("Since"),
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        required=False,
        label=_("Until"),
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

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
            raise forms.ValidationError(_("'Since' is after 'until'; swap the two dates."))
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
        application_id = application_licence_id = None
        if d.get("application"):
            from accord.agreements.models import Application

            applications = Application.objects.filter(reference__iexact=d["application"].strip())
            if self.custodian_ids is not None:
                applications = applications.filter(dataset__custodian_id__in=self.custodian_ids)
            found = applications.values_list("id", "licence__id").first()
            application_id, application_licence_id = found if found else (-1, None)
        return EventFilter(
            application_id=application_id,
            application_licence_id=application_licence_id,
            file=(d.get("file") or "").strip(),
            dataset_id=d["dataset"].id if d.get("dataset") else None,
            licence_id=licence_id,
            user=d.get("user") or "",
            event_type=(d.get("event_type") or "").strip(),
            since=d.get("since"),
            until=d.get("until"),
        )
