"""Custodian staff pages for their own catalogue: a dataset's description, its subjects (add,
withdraw consent) and its publication rules. Each dataset is fetched through policy, so
another custodian's does not exist here (404); every change goes through
catalog.services_staff, which checks the permission again and records the audit event."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accord.catalog import selectors_staff as selectors
from accord.catalog import services_staff as services
from accord.catalog.forms import (
    DatasetForm,
    PublicationRuleForm,
    SubjectAddForm,
    SubjectWithdrawForm,
)
from accord.catalog.models import Dataset, Subject
from accord.core.decorators import sensitive, staff
from accord.core.errors import DomainError
from accord.core.pages import paginate
from accord.core.permissions import Permission

MANAGE = Permission.CATALOG_DATASET_MANAGE
SUBJECTS = Permission.CATALOG_SUBJECT_MANAGE
WITHDRAW = Permission.CATALOG_SUBJECT_WITHDRAW
WHOLE_DATASET = "dataset"
PAGE_SIZE = 50
SUBJECTS_PER_PAGE = 100  # large: a refused withdrawal is shown again on the first page


def _refused(form, exc: DomainError) -> None:
    """Show a service's refusal on the form, next to the field it is about if there is one."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@staff(MANAGE)
def catalogue(request):
    return render(
        request,
        "catalog/staff_catalogue.html",
        {"datasets": paginate(request, selectors.editable_datasets(request.user), PAGE_SIZE)[0]},
    )


@staff(MANAGE)
def dataset_edit(request, slug: str):
    dataset = selectors.editable_dataset_or_404(request.user, slug, MANAGE)
    form = DatasetForm.for_dataset(dataset, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.dataset_update(dataset=dataset, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(
                request, gettext("Your changes to %(dataset)s are saved.") % {"dataset": dataset}
            )
            return redirect("catalog:staff_dataset_edit", dataset.slug)
    return render(request, "catalog/staff_dataset_edit.html", {"dataset": dataset, "form": form})


def _subjects_page(request, dataset: Dataset, *, add_form=None, withdraw_form=None):
    subjects, _ = paginate(request, selectors.dataset_subjects(dataset), SUBJECTS_PER_PAGE)
    return render(
        request,
        "catalog/staff_subjects.html",
        {
            "dataset": dataset,
            "subjects": subjects,
            "add_form": add_form or SubjectAddForm(),
            "withdraw_form": withdraw_form,
        },
    )


@staff(SUBJECTS)
def subjects(request, slug: str):
    dataset = selectors.editable_dataset_or_404(request.user, slug, SUBJECTS)
    if request.method != "POST":
        return _subjects_page(request, dataset)
    form = SubjectAddForm(request.POST)
    if form.is_valid():
        try:
            subject = services.subject_add(
                dataset=dataset, code=form.cleaned_data["code"], actor=request.user
            )
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, gettext("Subject %(code)s added.") % {"code": subject.code})
            return redirect("catalog:staff_subjects", dataset.slug)
    return _subjects_page(request, dataset, add_form=form)


@require_POST
@sensitive
@staff(WITHDRAW)
def subject_withdraw(request, slug: str):
    dataset = selectors.editable_dataset_or_404(request.user, slug, WITHDRAW)
    form = SubjectWithdrawForm(request.POST)
    if form.is_valid():
        subject = dataset.subjects.filter(code=form.cleaned_data["subject"]).first()
        if subject is None:
            raise Http404
        if subject.status == Subject.Status.WITHDRAWN:
            messages.info(
                request,
                gettext("Subject %(code)s had already withdrawn consent.") % {"code": subject.code},
            )
            if hasattr(subject, "withdrawal"):
                return redirect("catalog:staff_withdrawal", dataset.slug, subject.code)
            return redirect("catalog:staff_subjects", dataset.slug)
        try:
            services.subject_withdraw(
                subject=subject,
                reason=form.cleaned_data["reason"],
                withdrawn_at=form.cleaned_data["withdrawn_on"],
                actor=request.user,
            )
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(
                request,
                gettext(
                    "Consent of subject %(code)s is recorded as withdrawn: none of their files "
                    "is served any more, and no publication rule lets their images be shown. "
                    "Below: the new releases, the files to check and who must attest deleting "
                    "the files."
                )
                % {"code": subject.code},
            )
            return redirect("catalog:staff_withdrawal", dataset.slug, subject.code)
    return _subjects_page(request, dataset, withdraw_form=form)


def _scopes(dataset: Dataset) -> list[tuple[str, str]]:
    """Where a new rule may apply: the whole dataset or a variant, if it has no rule yet."""
    scopes = []
    if not dataset.publication_rules.filter(variant__isnull=True).exists():
        scopes.append((WHOLE_DATASET, gettext("The whole dataset")))
    scopes += [
        (v.slug, gettext("Variant %(name)s only") % {"name": v.name})
        for v in selectors.variants_without_rule(dataset)
    ]
    return scopes


@staff(SUBJECTS)
def publication_rules(request, slug: str):
    dataset = selectors.editable_dataset_or_404(request.user, slug, SUBJECTS)
    rules = selectors.rules_for_staff(dataset)
    posted = request.POST.get("rule") if request.method == "POST" else None
    forms = []
    for rule in rules:
        prefix = f"rule-{rule.pk}"
        initial = {
            "mode": rule.mode,
            "subjects": list(rule.subjects.all()),
            "notice": rule.notice,
            "conditions": rule.conditions,
        }
        data = request.POST if posted == str(rule.pk) else None
        forms.append(
            (rule, PublicationRuleForm(data, dataset=dataset, initial=initial, prefix=prefix))
        )
    scopes = _scopes(dataset)
    new_form = None
    if scopes:
        data = request.POST if posted == "new" else None
        new_form = PublicationRuleForm(data, dataset=dataset, scopes=scopes, prefix="new")

    target = next((f for r, f in forms if posted == str(r.pk)), None)
    if posted == "new":
        target = new_form
    if target is not None and target.is_valid():
        values = {k: target.cleaned_data[k] for k in services.RULE_FIELDS}
        try:
            if target is new_form:
                scope = target.cleaned_data["scope"]
                variant = None if scope == WHOLE_DATASET else dataset.variants.get(slug=scope)
                services.publication_rule_create(
                    dataset=dataset, variant=variant, actor=request.user, **values
                )
            else:
                rule = next(r for r in rules if str(r.pk) == posted)
                services.publication_rule_update(rule=rule, actor=request.user, **values)
        except DomainError as exc:
            _refused(target, exc)
        else:
            messages.success(request, gettext("The publication rule is saved."))
            return redirect("catalog:staff_publication_rules", dataset.slug)
    return render(
        request,
        "catalog/staff_publication_rules.html",
        {"dataset": dataset, "forms": forms, "new_form": new_form},
    )
