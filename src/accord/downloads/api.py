"""Downloads API (used by `accord fetch`): entitled variants, their files, signed manifests,
and short-lived links.

Issuing a link is a POST: it writes a row and an audit event, and a GET would let any page a
signed-in user visits issue links in their name (a cross-site navigation carries the session
cookie; a POST from another site fails the CSRF check). Read-scoped tokens, the ones `accord
fetch` is meant to use, may make this one POST: a link grants nothing the token could not
already read. The old GET stays for one release, answered with Deprecation and Link headers
(RFC 9745), for bearer tokens only, and issues short-lived unbound links (see
accord.downloads.models) for clients that do not send their token with the file request.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from django.conf import settings
from django.db.models import Count, Sum
from django.http import HttpResponse
from django.utils.translation import gettext
from ninja import Path, Router, Schema
from ninja.security import HttpBearer

from accord.access import policy
from accord.accounts.services import api_token_authenticate
from accord.api.auth import ActiveSessionAuth, TokenAuth, token_or_session
from accord.api.pagination import UNCOUNTED_PAGES_DOC, link_paginated
from accord.api.params import ROW_ID_MAX
from accord.api.problems import ProblemOut
from accord.core.errors import NotFound
from accord.downloads import documents, manifests, services, signing
from accord.downloads.models import DownloadLink

router = Router(tags=["downloads"])


class DownloadableVariantOut(Schema):
    slug: str
    name: str
    release: str
    dataset: str
    licence: str
    files: int
    total_size: int


class DownloadableFileOut(Schema):
    id: int
    path: str
    size: int
    sha256: str
    media_type: str
    subject: str | None  # null: a shared file (annotation sheet), or files not attributed

    @staticmethod
    def resolve_subject(obj) -> str | None:
        return obj.subject_code


class LinkOut(Schema):
    url: str
    expires_at: datetime
    path: str
    size: int
    sha256: str
    binding: str  # what each request to url must carry: "token" (this Authorization header),
    # "session" (this browser session), "none" (deprecated GET)
    segment_size: int | None  # ask for at most this many bytes per Range request; None: any


# The day GET .../link was deprecated (RFC 9745 Deprecation: @epoch-seconds).
LINK_GET_DEPRECATED = datetime(2026, 12, 1, tzinfo=UTC)


class LinkIssueTokenAuth(HttpBearer):
    """Any usable token, read-scoped included (see the module docstring)."""

    def authenticate(self, request, token):
        api_token = api_token_authenticate(token)
        if api_token is None:
            return None
        request.user = api_token.user
        request.api_token = api_token
        return api_token.user


def _link_out(request, issued: services.IssuedLink) -> LinkOut:
    data_file = issued.link.data_file
    return LinkOut(
        url=request.build_absolute_uri(issued.path),
        expires_at=issued.link.expires_at,
        path=data_file.path,
        size=data_file.size,
        sha256=data_file.sha256,
        binding=issued.link.binding,
        segment_size=settings.DOWNLOAD_MAX_RESPONSE_BYTES or None,
    )


class _EntitledVariants:
    """The variants ``user`` may download now, by slug, as the paginator slices them (not
    counted: see ``UNCOUNTED_PAGES_DOC``): each page's file counts and licences are read for
    that page's variants only."""

    def __init__(self, user):
        self.user = user
        self.variants = policy.entitled_variants(user).order_by("slug", "pk")

    def __getitem__(self, item: slice) -> list[DownloadableVariantOut]:
        variants = list(self.variants[item])
        ids = [v.pk for v in variants]
        totals: dict[int, Any] = {
            row["variant_id"]: row
            for row in policy.downloadable_files(self.user)
            .filter(variant_id__in=ids)
            .order_by()
            .values("variant_id")
            .annotate(n=Count("pk"), total=Sum("size"))
        }
        licences = policy.licences_in_use(self.user, ids)
        return [
            DownloadableVariantOut(
                slug=variant.slug,
                name=variant.name,
                release=variant.release,
                dataset=variant.dataset.name,
                licence=licences.get(variant.pk, ""),
                files=totals.get(variant.pk, {}).get("n", 0),
                total_size=totals.get(variant.pk, {}).get("total", 0) or 0,
            )
            for variant in variants
        ]


@router.get(
    "/downloads/variants",
    response=list[DownloadableVariantOut],
    auth=token_or_session,
    description=(
        "The variants you may download now, by slug (a constant number of queries)."
        + UNCOUNTED_PAGES_DOC.format(size=100)
    ),
)
@link_paginated(counted=False)
def list_variants(request, response: HttpResponse):
    """The variants you may download now (a constant number of queries, however many)."""
    return _EntitledVariants(request.user)


@router.get(
    "/downloads/variants/{slug}/files",
    response={200: list[DownloadableFileOut], frozenset({404}): ProblemOut},
    auth=token_or_session,
)
def list_files(request, slug: str):
    """A variant's files with size and SHA-256 (404 unless you are entitled to it): the same
    list as the catalogue's /variants/{slug}/files."""
    variant, _ = services.entitled_variant_or_404(request.user, slug)
    return list(policy.variant_file_list(variant))


@router.get(
    "/downloads/variants/{slug}/manifest",
    response={frozenset({404}): ProblemOut},
    auth=token_or_session,
    openapi_extra={
        "responses": {
            200: {
                "description": "The manifest: every file with size and SHA-256, Ed25519-signed.",
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        }
    },
)
def get_manifest(request, slug: str, licence: str | None = None):
    """The signed manifest of a variant under your licence (JSON, Ed25519-signed)."""
    _, entitlement = services.entitled_variant_or_404(request.user, slug, licence_reference=licence)
    data = manifests.manifest_issue(entitlement=entitlement, actor=request.user)
    response = HttpResponse(data, content_type="application/json")
    response["Cache-Control"] = "private, no-store"
    return response


@router.get(
    "/downloads/variants/{slug}/documents/{name}",
    response={frozenset({404}): ProblemOut},
    auth=token_or_session,
    summary="CITATION.cff or TERMS.md of a variant (listed in its manifest's documents)",
    openapi_extra={
        "responses": {
            200: {
                "description": "The document, byte for byte what the signed manifest hashes.",
                "content": {
                    "application/yaml": {"schema": {"type": "string"}},
                    "text/markdown": {"schema": {"type": "string"}},
                },
            }
        }
    },
)
def get_document(request, slug: str, name: Literal["CITATION.cff", "TERMS.md"]):
    """A document that goes with the variant's files under your licence: how to cite it
    (CITATION.cff, CFF 1.2.0) and a summary of the terms (TERMS.md). The same entitlement
    check as the files; its size and SHA-256 are in the manifest's `documents`."""
    _, entitlement = services.entitled_variant_or_404(request.user, slug)
    document = documents.variant_document(entitlement=entitlement, name=name)
    if document is None:
        raise NotFound(gettext("This variant has no document of that name."))
    response = HttpResponse(document.content, content_type=document.media_type)
    response["Cache-Control"] = "private, no-store"
    return response


@router.post(
    "/downloads/files/{file_id}/link",
    response={200: LinkOut, frozenset({404}): ProblemOut},
    auth=[LinkIssueTokenAuth(), ActiveSessionAuth()],
    summary="Issue a short-lived link to one file",
)
def issue_file_link(request, file_id: int = Path(..., ge=1, le=ROW_ID_MAX)):
    """A link to one file, valid a few minutes and bound to the credential that asked for
    it: request it with the same `Authorization: Bearer` header (or, when issued to a
    browser session, in that session); to anyone else it is an unknown link (404). It
    supports single Range requests and is re-checked against your licence on every request.
    Ask for at most `segment_size` bytes per request: larger requests are served more
    slowly. Read-scoped tokens may call this."""
    api_token = getattr(request, "api_token", None)
    issued = services.download_link_issue(
        user=request.user,
        file_id=file_id,
        channel=DownloadLink.Channel.API,
        binding=DownloadLink.Binding.TOKEN if api_token else DownloadLink.Binding.SESSION,
        api_token=api_token,
    )
    return _link_out(request, issued)


@router.get(
    "/downloads/files/{file_id}/link",
    response={200: LinkOut, frozenset({404}): ProblemOut},
    auth=TokenAuth(),
    deprecated=True,
    summary="Deprecated: POST to the same path instead",
)
def file_link(request, response: HttpResponse, file_id: int = Path(..., ge=1, le=ROW_ID_MAX)):
    """Deprecated (removed in the next release): POST to this path. Bearer tokens only;
    the link is not bound to the token (older clients fetch without it) and so lives at most
    60 seconds: start the transfer at once."""
    issued = services.download_link_issue(
        user=request.user,
        file_id=file_id,
        channel=DownloadLink.Channel.API,
        binding=DownloadLink.Binding.NONE,
    )
    response["Deprecation"] = f"@{int(LINK_GET_DEPRECATED.timestamp())}"
    response["Link"] = (
        f'<{request.build_absolute_uri(request.path)}>; rel="successor-version"; '
        'title="POST to this path", '
        f'<{request.build_absolute_uri("/api/v1/docs")}>; rel="deprecation"; type="text/html"'
    )
    return _link_out(request, issued)


@router.get(
    "/downloads/signing-key",
    auth=None,
    openapi_extra={
        "responses": {
            200: {
                "description": "The public key, PEM.",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        }
    },
)
def signing_key(request):
    """The portal's public Ed25519 manifest key (PEM)."""
    return HttpResponse(signing.public_key_pem(), content_type="text/plain; charset=us-ascii")
