"""Download pages: a variant's files, the button that issues a link, the link itself, the
signed manifest and the portal's public signing key."""

from __future__ import annotations

import shlex

from django.conf import settings
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.access import policy
from accord.core.decorators import public, signed_in
from accord.core.errors import DomainError
from accord.core.pages_uncounted import paginate_uncounted
from accord.core.problem import problem_response
from accord.downloads import documents, manifests, services, signing
from accord.downloads.backends import get_backend
from accord.downloads.models import DownloadLink

FILES_PAGE_SIZE = 100


@signed_in
@require_GET
def variant_files(request, slug: str):
    variant, entitlement = services.entitled_variant_or_404(request.user, slug)
    files = (
        policy.downloadable_files(request.user)
        .filter(variant=variant)
        # The page names the variant once: its rows need only their subject (each row's
        # variant and dataset, joined and built 100 times a page, were a third of its time).
        .select_related(None)
        .select_related("subject")
        .order_by("path")
    )
    # The heading's number and size of files in one pass over them; the page is not counted
    # again (its pager says previous, page N, next).
    totals = files.aggregate(count=Count("pk"), size=Sum("size"))
    page, _ = paginate_uncounted(request, files, FILES_PAGE_SIZE)
    return render(
        request,
        "downloads/variant_files.html",
        {
            "variant": variant,
            "entitlement": entitlement,
            "files": page,
            "file_count": totals["count"],
            "total_size": totals["size"] or 0,
            "portal_url": request.build_absolute_uri("/").rstrip("/"),
            "client_install": shlex.quote(settings.CLIENT_INSTALL),
        },
    )


@signed_in
@require_POST
def file_download(request, file_id: int):
    """Issue a link and send the browser to it. POST: issuing a link is an audited act."""
    try:
        issued = services.download_link_issue(
            user=request.user,
            file_id=file_id,
            channel=DownloadLink.Channel.WEB,
            binding=DownloadLink.Binding.SESSION,
        )
    except DomainError as exc:
        return _refusal(request, exc)
    return redirect(issued.path, permanent=False)


@signed_in
@require_GET
def variant_manifest(request, slug: str):
    variant, entitlement = services.entitled_variant_or_404(request.user, slug)
    data = manifests.manifest_issue(entitlement=entitlement, actor=request.user)
    response = HttpResponse(data, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="accord-manifest-{variant.slug}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@signed_in
@require_GET
def variant_document(request, slug: str, name: str):
    """CITATION.cff or TERMS.md of a variant, under the same entitlement check as its files
    (404 for "no such document" and "not yours" alike); the bytes the manifest hashes."""
    _variant, entitlement = services.entitled_variant_or_404(request.user, slug)
    return document_response(documents.variant_document(entitlement=entitlement, name=name))


def document_response(document: documents.Document | None) -> HttpResponse:
    if document is None:
        raise Http404
    response = HttpResponse(document.content, content_type=document.media_type)
    response["Content-Disposition"] = f'attachment; filename="{document.path}"'
    response["Cache-Control"] = "private, no-store"
    return response


@public
@require_GET
def signing_key(request):
    """The public half of the manifest signing key (also at /.well-known/accord-signing-key)."""
    response = HttpResponse(signing.public_key_pem(), content_type="text/plain; charset=us-ascii")
    response["Cache-Control"] = "public, max-age=3600"
    return response


# Public as a route: the link's secret plus the credential it is bound to (the user's
# session, or the API token in the Authorization header) is the authorisation here, and
# download_link_check re-runs the policy against the link's user and entitlement on every
# request (nginx and resumable clients re-request it).
@public
@require_http_methods(["GET", "HEAD"])
def serve(request, secret: str):
    try:
        link = services.download_link_check(
            secret=secret,
            range_header=request.headers.get("Range"),
            requester=request.user,
            bearer=_bearer(request),
        )
    except DomainError as exc:
        return _refusal(request, exc)
    return get_backend().respond(request, link)


def _bearer(request) -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


def _refusal(request, exc: DomainError) -> HttpResponse:
    if "text/html" in request.headers.get("Accept", ""):
        return render(
            request, "downloads/refused.html", {"message": exc.message}, status=exc.status
        )
    return problem_response(exc.status, exc.message, code=exc.code)
