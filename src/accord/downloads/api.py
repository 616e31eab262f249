"""Downloads API (used by `accord fetch`): entitled variants, their files, signed manifests,
and short-lived links.

Everything is GET, including issuing a link: it grants nothing the caller does not already
hold (it is a read of data they are entitled to), and read-scoped tokens, the ones `accord
fetch` is meant to use, may only make safe requests (accord.api.auth.TokenAuth).
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Sum
from django.http import HttpResponse
from ninja import Router, Schema

from accord.access import policy
from accord.api.auth import token_or_session
from accord.downloads import manifests, services, signing
from accord.downloads.models import DownloadLink

router = Router(tags=["downloads"])


class VariantOut(Schema):
    slug: str
    name: str
    release: str
    dataset: str
    licence: str
    files: int
    total_size: int


class FileOut(Schema):
    id: int
    path: str
    size: int
    sha256: str
    media_type: str


class LinkOut(Schema):
    url: str
    expires_at: datetime
    path: str
    size: int
    sha256: str


@router.get("/downloads/variants", response=list[VariantOut], auth=token_or_session)
def list_variants(request):
    """The variants you may download now (three queries, however many)."""
    totals = {
        row["variant_id"]: row
        for row in policy.downloadable_files(request.user)
        .order_by()
        .values("variant_id")
        .annotate(n=Count("pk"), total=Sum("size"))
    }
    licences: dict[int, str] = {}
    for entitlement in (
        policy.usable_entitlements(request.user)
        .select_related("licence")
        .order_by("valid_from", "pk")  # the newest wins, as in entitlement_for_variant
    ):
        licences[entitlement.variant_id] = entitlement.licence.reference
    return [
        VariantOut(
            slug=variant.slug,
            name=variant.name,
            release=variant.release,
            dataset=variant.dataset.name,
            licence=licences.get(variant.pk, ""),
            files=totals.get(variant.pk, {}).get("n", 0),
            total_size=totals.get(variant.pk, {}).get("total", 0) or 0,
        )
        for variant in policy.entitled_variants(request.user).order_by("slug")
    ]


@router.get("/downloads/variants/{slug}/files", response=list[FileOut], auth=token_or_session)
def list_files(request, slug: str):
    """A variant's files with size and SHA-256 (404 unless you are entitled to it)."""
    variant, _ = services.entitled_variant_or_404(request.user, slug)
    return list(policy.downloadable_files(request.user).filter(variant=variant).order_by("path"))


@router.get("/downloads/variants/{slug}/manifest", auth=token_or_session)
def get_manifest(request, slug: str, licence: str | None = None):
    """The signed manifest of a variant under your licence (JSON, Ed25519-signed)."""
    _, entitlement = services.entitled_variant_or_404(request.user, slug, licence_reference=licence)
    data = manifests.manifest_issue(entitlement=entitlement, actor=request.user)
    response = HttpResponse(data, content_type="application/json")
    response["Cache-Control"] = "private, no-store"
    return response


@router.get("/downloads/files/{file_id}/link", response=LinkOut, auth=token_or_session)
def file_link(request, file_id: int):
    """A short-lived link to one file. Fetch it without the Authorization header; it
    supports Range and is re-checked on every request."""
    issued = services.download_link_issue(
        user=request.user, file_id=file_id, channel=DownloadLink.Channel.API
    )
    data_file = issued.link.data_file
    return LinkOut(
        url=request.build_absolute_uri(issued.path),
        expires_at=issued.link.expires_at,
        path=data_file.path,
        size=data_file.size,
        sha256=data_file.sha256,
    )


@router.get("/downloads/signing-key", auth=None)
def signing_key(request):
    """The portal's public Ed25519 manifest key (PEM)."""
    return HttpResponse(signing.public_key_pem(), content_type="text/plain; charset=us-ascii")
