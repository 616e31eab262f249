"""Pages for papers. The author: register a paper (a check step showing the verdict, then
submit), their list, and whether the dataset page shows it. The custodian's staff: the register
per dataset with filters, CSV and BibTeX, a paper's verdict and its override. Objects are
fetched through selectors that ask policy, so someone else's paper or another custodian's does
not exist here (404); every change is a service."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accord.access import policy
from accord.catalog.models import Dataset
from accord.core.decorators import sensitive, signed_in, staff
from accord.core.errors import DomainError, NotFound
from accord.core.pages import paginate
from accord.core.permissions import Permission

from . import exports, selectors, services
from .extraction import read_upload
from .forms import OverrideForm, PaperForm
from .models import Publication

PAGE_SIZE = 50

REVIEW = Permission.PUBLICATIONS_PAPER_REVIEW


def _refused(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _registrable_dataset(user, slug: str) -> Dataset:
    dataset = Dataset.objects.filter(slug=slug, is_published=True).first()
    if dataset is None or not policy.can_register_publication(user, dataset):
        raise Http404
    return dataset


def _own(user, pk: int) -> Publication:
    try:
        return selectors.publication_mine(user, pk)
    except NotFound:
        raise Http404 from None


@signed_in
def mine(request):
    held = policy.licences_held_by(request.user).values("dataset_id")
    return render(
        request,
        "publications/mine.html",
        {
            "papers": paginate(request, selectors.publications_mine(request.user), PAGE_SIZE)[0],
            "datasets": Dataset.objects.filter(pk__in=held, is_published=True),
        },
    )


def _paper_form(request, dataset: Dataset, publication: Publication | None = None) -> PaperForm:
    data = (request.POST, request.FILES) if request.method == "POST" else ()
    initial = PaperForm.initial_from(publication) if publication and not data else None
    return PaperForm(
        *data,
        initial=initial,
        variants=policy.publication_variants(request.user, dataset),
        pdf_required=selectors.pdf_required(dataset),
        has_pdf=bool(publication and publication.pdf_storage_name),
    )


def _check(request, dataset: Dataset, form: PaperForm, publication: Publication | None):
    """Run the check on a valid form; the draft's page shows the verdict, or the form the
    refusal."""
    upload = form.cleaned_data.get("pdf")
    try:
        pdf = read_upload(upload) if upload else None
        publication = services.publication_check(
            dataset=dataset,
            actor=request.user,
            details=form.details(),
            pdf=pdf,
            publication=publication,
        )
    except DomainError as exc:
        _refused(form, exc)
        return None
    return redirect("publications:detail", publication.pk)


@signed_in
def register(request, slug: str):
    dataset = _registrable_dataset(request.user, slug)
    form = _paper_form(request, dataset)
    if request.method == "POST" and form.is_valid():
        response = _check(request, dataset, form, None)
        if response is not None:
            return response
    return render(request, "publications/register.html", {"dataset": dataset, "form": form})


@signed_in
def detail(request, paper: int):
    publication = _own(request.user, paper)
    form = None
    if publication.status == Publication.Status.DRAFT:
        if not policy.can_register_publication(request.user, publication.dataset):
            raise Http404
        form = _paper_form(request, publication.dataset, publication)
        if request.method == "POST" and form.is_valid():
            response = _check(request, publication.dataset, form, publication)
            if response is not None:
                return response
    elif request.method == "POST":
        raise Http404
    return render(
        request,
        "publications/detail.html",
        {"publication": publication, "verdict": publication.verdict, "form": form},
    )


@require_POST
@signed_in
def submit(request, paper: int):
    publication = _own(request.user, paper)
    try:
        services.publication_submit(publication=publication, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            gettext("Your paper is registered; the data custodian has been told of it."),
        )
    return redirect("publications:detail", publication.pk)


@require_POST
@signed_in
def visibility(request, paper: int):
    publication = _own(request.user, paper)
    show = request.POST.get("is_public") == "1"
    try:
        services.publication_set_public(publication=publication, actor=request.user, is_public=show)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            gettext("The dataset's page lists your paper.")
            if show
            else gettext("The dataset's page no longer lists your paper."),
        )
    return redirect("publications:detail", publication.pk)


# --- The custodian's staff -----------------------------------------------------------------


def _reviewable(user, slug: str) -> Dataset:
    try:
        return selectors.reviewable_dataset(user, slug)
    except NotFound:
        raise Http404 from None


def _staff_paper(user, pk: int) -> Publication:
    try:
        return selectors.publication_for_staff(user, pk)
    except NotFound:
        raise Http404 from None


def _filters(request) -> dict:
    year = request.GET.get("year", "")
    state = request.GET.get("state", "")
    return {
        "state": state if state in Publication.State.values else "",
        "year": int(year) if year.isdigit() and len(year) == 4 else None,
        "variant": request.GET.get("variant", "")[:50],
    }


@staff(REVIEW)
def staff_index(request):
    return render(
        request,
        "publications/staff_index.html",
        {"datasets": policy.datasets_with_paper_review(request.user)},
    )


@staff(REVIEW)
def staff_list(request, slug: str):
    dataset = _reviewable(request.user, slug)
    filters = _filters(request)
    return render(
        request,
        "publications/staff_list.html",
        {
            "dataset": dataset,
            "papers": paginate(
                request,
                selectors.publications_for_staff(request.user, dataset=dataset, **filters),
                PAGE_SIZE,
            )[0],
            "filters": filters,
            "states": Publication.State.choices,
            "variants": dataset.variants.all(),
            "query": request.GET.urlencode(),
        },
    )


@staff(REVIEW)
def staff_csv(request, slug: str):
    dataset = _reviewable(request.user, slug)
    papers = selectors.publications_for_staff(request.user, dataset=dataset, **_filters(request))
    response = HttpResponse(exports.papers_csv(papers), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{dataset.slug}-papers.csv"'
    return response


@staff(REVIEW)
def staff_bibtex(request, slug: str):
    dataset = _reviewable(request.user, slug)
    papers = selectors.publications_for_staff(request.user, dataset=dataset, **_filters(request))
    response = HttpResponse(
        exports.papers_bibtex(papers), content_type="application/x-bibtex; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{dataset.slug}-papers.bib"'
    return response


def _staff_page(request, publication: Publication, form: OverrideForm | None = None):
    return render(
        request,
        "publications/staff_detail.html",
        {
            "publication": publication,
            "verdict": publication.verdict,
            "form": form or OverrideForm(initial={"state": publication.override_state}),
        },
    )


@staff(REVIEW)
def staff_detail(request, paper: int):
    return _staff_page(request, _staff_paper(request.user, paper))


@require_POST
@sensitive
@staff(REVIEW)
def staff_override(request, paper: int):
    publication = _staff_paper(request.user, paper)
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            services.publication_override(
                publication=publication,
                actor=request.user,
                state=form.cleaned_data["state"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, gettext("The paper's verdict is changed."))
            return redirect("publications:staff_detail", publication.pk)
    return _staff_page(request, publication, form)


@staff(REVIEW)
def staff_pdf(request, paper: int):
    """The paper's PDF for the custodian (their electronic copy, SMIC S4), as a download."""
    from django.http import FileResponse

    from accord.core.storage import protected_storage

    publication = _staff_paper(request.user, paper)
    if not publication.pdf_storage_name:
        raise Http404
    response = FileResponse(
        protected_storage().open(publication.pdf_storage_name),
        as_attachment=True,
        filename=f"paper-{publication.pk}.pdf",
        content_type="application/pdf",
    )
    return response
