"""Web forms. They only collect input; the services validate it against the dataset's policy
(one set of rules for the web, the API and email intake)."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accord.catalog.selectors import clauses_read_in
from accord.core.validators import MultiLineField, SingleLineField, single_line

from .content import Details, attestation_clauses, policy_fields, policy_for, policy_member_fields
from .models import Application, ApplicationField

BLANK_MEMBER_ROWS = 3
_MEMBER_KEY = re.compile(r"^member-(\d{1,4})-")


class ApplicationForm(forms.Form):
    """Every field optional: a draft may be saved half-done; completeness is checked when the
    agreement PDF is generated and on submission."""

    variants = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label=_("Variants you need")
    )
    signer_name = SingleLineField(required=False, max_length=200, label=_("Signer's full name"))
    signer_title = SingleLineField(
        required=False, max_length=200, label=_("Signer's title or position")
    )
    signer_affiliation = SingleLineField(
        required=False, max_length=300, label=_("Institution and department")
    )
    signer_email = forms.EmailField(required=False, label=_("Signer's work email"))
    signer_address = MultiLineField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Signer's postal address"),
    )
    organisation_type = forms.ChoiceField(
        required=False,
        choices=[("", "—"), *Application.OrganisationType.choices],
        label=_("Type of organisation"),
    )
    purpose = MultiLineField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        label=_("Research purpose"),
        help_text=_("What you will use the data for. Commercial use of any kind is not allowed."),
    )

    def __init__(self, *args, application: Application | None = None, dataset=None, **kwargs):
        self.dataset = dataset or application.dataset
        self.application = application
        self.policy = policy_for(self.dataset)
        version = application.license_version if application else self.dataset.current_license()
        # In the reader's language where the custodian translated them (the English governs).
        self.clauses = clauses_read_in(attestation_clauses(version)) if version else []
        self.extra_fields = policy_fields(self.policy)
        self.member_fields = policy_member_fields(self.policy)
        if application is not None and "initial" not in kwargs:
            kwargs["initial"] = self._initial(application)
        only_variant = [v.slug for v in self.dataset.variants.all()]
        if len(only_variant) == 1 and not (kwargs.get("initial") or {}).get("variants"):
            # Nothing to choose: the one variant is what the applicant applies for.
            kwargs["initial"] = {**(kwargs.get("initial") or {}), "variants": only_variant}
        super().__init__(*args, **kwargs)
        self.fields["variants"].choices = [(v.slug, v.name) for v in self.dataset.variants.all()]
        if self.dataset.requires_affiliated_email:
            self.fields["signer_email"].help_text = gettext(
                "A fixed address of the signer's institution; free-mail addresses are refused."
            )
        for f in self.extra_fields:
            self.fields[f"answer_{f.key}"] = _answer_field(f)
        for clause in self.clauses:
            words = clause.reading
            field = forms.BooleanField(
                required=False,
                label=gettext(
                    "%(code)s — %(title)s: I attest that the signer and every group member "
                    "will comply."
                )
                % {"code": clause.code, "title": words.title},
                help_text=words.text,
            )
            field.translated = words.translated
            self.fields[f"attest_{clause.code}"] = field

    @staticmethod
    def _initial(application: Application) -> dict:
        initial = {
            name: getattr(application, name)
            for name in (
                "signer_name", "signer_title", "signer_affiliation", "signer_email",
                "signer_address", "organisation_type", "purpose",
            )
        }  # fmt: skip
        initial["variants"] = [v.slug for v in application.variants.all()]
        for key, value in application.answers.items():
            initial[f"answer_{key}"] = value
        for code in application.attested_clauses:
            initial[f"attest_{code}"] = True
        return initial

    def mark_missing(self, problems) -> None:
        """Show each (field, message) of ``problems`` next to its field, bound or not; those
        naming no form field (``members``, ``file``) are kept in ``section_errors``."""
        if self._errors is None:
            self.full_clean()  # an unbound form: no errors of its own
        if not hasattr(self, "cleaned_data"):
            self.cleaned_data = {}
        for field, message in problems:
            if field in self.fields:
                if message not in self.errors.get(field, []):
                    self.add_error(field, message)
            else:
                self.section_errors.setdefault(field, []).append(message)

    @property
    def section_errors(self) -> dict[str, list[str]]:
        if not hasattr(self, "_section_errors"):
            self._section_errors: dict[str, list[str]] = {}
        return self._section_errors

    def error_summary(self) -> list[tuple[str, str]]:
        """(anchor, message) for every problem on the page, in the page's order, for the one
        summary line at the top that links to each."""
        anchors = {"variants": "step-variants", "members": "step-members", "file": "id_file"}
        summary = []
        for name in self.fields:
            for message in self.errors.get(name, []):
                anchor = anchors.get(name) or self[name].id_for_label
                summary.append((anchor, message))
        for name, messages in self.section_errors.items():
            summary.extend((anchors.get(name, ""), m) for m in messages)
        for message in self.non_field_errors():
            summary.append(("", message))
        return summary

    def answer_fields(self):
        return [self[f"answer_{f.key}"] for f in self.extra_fields]

    def attestation_fields(self):
        return [self[f"attest_{c.code}"] for c in self.clauses]

    def member_rows(self) -> list[dict]:
        """Rows for the member table: what was posted (or saved) plus a few blank ones."""
        if self.is_bound:
            members = self._posted_members()
        else:
            members = list(self.application.members) if self.application else []
        rows = [*members, *({} for _ in range(BLANK_MEMBER_ROWS))]
        return [
            {
                "index": i,
                "full_name": m.get("full_name", ""),
                "email": m.get("email", ""),
                "extra": [(f, (m.get("extra") or {}).get(f.key, "")) for f in self.member_fields],
            }
            for i, m in enumerate(rows)
        ]

    def _posted_members(self) -> list[dict]:
        indexes = sorted({int(m.group(1)) for k in self.data if (m := _MEMBER_KEY.match(k))})
        members = []
        for i in indexes[:500]:
            prefix = f"member-{i}-"
            member = {
                "full_name": self.data.get(prefix + "full_name", "").strip(),
                "email": self.data.get(prefix + "email", "").strip(),
                "extra": {
                    f.key: self.data.get(prefix + f.key, "").strip() for f in self.member_fields
                },
            }
            filled = member["full_name"] or member["email"] or any(member["extra"].values())
            if filled:
                members.append(member)
        return members

    def clean(self):
        cleaned = super().clean()
        # Member rows are read from the raw POST (their number varies), not through fields.
        for number, member in enumerate(self._posted_members(), start=1):
            for value in (member["full_name"], *member["extra"].values()):
                try:
                    single_line(value)
                except ValueError as exc:
                    self.add_error(
                        None,
                        gettext("Group member %(number)d: this %(why)s.")
                        % {"number": number, "why": exc},
                    )
                    break
        return cleaned

    def _clean_members(self) -> list[dict]:
        return [
            {
                "full_name": single_line(m["full_name"]),
                "email": m["email"],
                "extra": {k: single_line(v) for k, v in m["extra"].items()},
            }
            for m in self._posted_members()
        ]

    def to_details(self) -> Details:
        data = self.cleaned_data
        return Details(
            variants=data["variants"],
            signer_name=data["signer_name"],
            signer_title=data["signer_title"],
            signer_affiliation=data["signer_affiliation"],
            signer_email=data["signer_email"],
            signer_address=data["signer_address"],
            organisation_type=data["organisation_type"],
            purpose=data["purpose"],
            answers={f.key: data.get(f"answer_{f.key}") for f in self.extra_fields},
            attested_clauses=[c.code for c in self.clauses if data.get(f"attest_{c.code}")],
            members=self._clean_members() if self.policy.members_allowed else [],
        )


def _answer_field(f: ApplicationField) -> forms.Field:
    common = {"required": False, "label": f.label + ("" if f.required else " (optional)"),
              "help_text": f.help_text}  # fmt: skip
    if f.kind == ApplicationField.Kind.LONG_TEXT:
        return MultiLineField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, **common)
    if f.kind == ApplicationField.Kind.EMAIL:
        return forms.EmailField(**common)
    if f.kind == ApplicationField.Kind.CHOICE:
        return forms.ChoiceField(choices=[("", "—")] + [(c, c) for c in f.choice_list()], **common)
    if f.kind == ApplicationField.Kind.CHECKBOX:
        return forms.BooleanField(**common)
    return SingleLineField(max_length=500, **common)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Signed agreement (PDF scan)"), allow_empty_file=True)


class CommentForm(forms.Form):
    comment = MultiLineField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )


class IntakeForm(forms.Form):
    dataset = forms.ModelChoiceField(queryset=None, label=_("Dataset"))
    file = forms.FileField(
        label=_("Agreement PDF, or the email that carried it (.eml or mbox)"), allow_empty_file=True
    )
    signer_name = SingleLineField(
        required=False, max_length=200, help_text=_("Blank: the email's sender name.")
    )
    signer_title = SingleLineField(required=False, max_length=200)
    signer_affiliation = SingleLineField(required=False, max_length=300)
    signer_email = forms.EmailField(
        required=False, help_text=_("Blank: the email's sender address.")
    )
    signer_address = MultiLineField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )
    purpose = MultiLineField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )

    def __init__(self, *args, datasets=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].queryset = datasets

    def to_details(self) -> Details:
        d = self.cleaned_data
        return Details(
            signer_name=d["signer_name"], signer_title=d["signer_title"],
            signer_affiliation=d["signer_affiliation"], signer_email=d["signer_email"],
            signer_address=d["signer_address"], purpose=d["purpose"],
        )  # fmt: skip
