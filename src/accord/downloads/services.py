"""Download authorization: issuing short-lived links, checking them on every request, and the
audit trail of every authorization, refusal and served byte range.

Refusals are audited outside the refused action's transaction (there is none to roll back),
so the record of a refused attempt survives the error it raises.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.base import ModelState
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from accord.access import policy
from accord.access.models import Entitlement
from accord.accounts.models import ApiToken
from accord.accounts.services import api_token_authenticate, hash_token
from accord.audit.journal import journal_append
from accord.audit.services import audit_record, current_request
from accord.catalog.models import DataFile, Dataset, Variant
from accord.core import clock
from accord.core.errors import DomainError, NotAllowed, NotFound
from accord.downloads.models import DownloadLink


class LinkExpired(DomainError):
    status = 410
    code = "link-expired"


# Unbound links (the deprecated API GET) are good only for starting a transfer at once.
UNBOUND_LINK_TTL = 60

NOT_ENTITLED = (
    "No such file, or you are not entitled to it. If your group holds a licence for this "
    "dataset, ask its signer to add you; otherwise apply for access on the dataset's page."
)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _scope(data_file: DataFile | None, entitlement=None) -> dict[str, Any]:
    if data_file is None:
        return {}
    return {
        "custodian_id": data_file.variant.dataset.custodian_id,
        "dataset_id": data_file.variant.dataset_id,
        "licence_id": entitlement.licence_id if entitlement is not None else None,
    }


def audit_refusal(*, user, data_file: DataFile | None, reason: str, **details: Any) -> None:
    audit_record(
        event_type="downloads:file:refuse",
        actor=user if getattr(user, "is_authenticated", False) else None,
        target=data_file,
        details={"reason": reason, **details},
        **_scope(data_file),
    )


def entitled_variant_or_404(user, slug: str, *, licence_reference: str | None = None):
    """The variant and the entitlement it is used under (for the web pages and the API);
    Http404 for "no such variant" and "not yours" alike."""
    variant: Variant = get_object_or_404(Variant.objects.select_related("dataset"), slug=slug)
    entitlement = policy.entitlement_for_variant(user, variant, licence_reference=licence_reference)
    if entitlement is None:
        raise Http404
    return variant, entitlement


@dataclass(frozen=True)
class IssuedLink:
    link: DownloadLink
    secret: str

    @property
    def path(self) -> str:
        return reverse("downloads:serve", args=[self.secret])


def download_link_issue(
    *,
    user,
    file_id: int,
    channel: str = DownloadLink.Channel.WEB,
    binding: str = DownloadLink.Binding.SESSION,
    api_token=None,
) -> IssuedLink:
    """A link to one file for ``user``, valid DOWNLOAD_LINK_TTL seconds and usable only with
    the credential named by ``binding`` (the session of ``user``, or ``api_token``); NotFound
    (the same for "no such file" and "not yours") when the policy says no."""
    if (binding == DownloadLink.Binding.TOKEN) != (api_token is not None):
        raise ValueError("binding=token needs the api_token, and only it does")
    data_file = (
        DataFile.objects.select_related("variant", "variant__dataset").filter(pk=file_id).first()
    )
    entitlement = policy.entitlement_for_file(user, data_file) if data_file is not None else None
    if data_file is None or entitlement is None:
        audit_refusal(user=user, data_file=data_file, reason="not-entitled", file_id=file_id)
        raise NotFound(NOT_ENTITLED)
    return _issue(
        user=user,
        data_file=data_file,
        entitlement=entitlement,
        channel=channel,
        binding=binding,
        api_token=api_token,
    )


@transaction.atomic
def _issue(
    *, user, data_file: DataFile, entitlement, channel: str, binding: str, api_token
) -> IssuedLink:
    secret = secrets.token_urlsafe(32)
    ttl = settings.DOWNLOAD_LINK_TTL
    if binding == DownloadLink.Binding.NONE:
        ttl = min(ttl, UNBOUND_LINK_TTL)
    link = DownloadLink.objects.create(
        user=user,
        data_file=data_file,
        entitlement=entitlement,
        secret_hash=_hash(secret),
        channel=channel,
        binding=binding,
        api_token=api_token,
        expires_at=clock.now() + timedelta(seconds=ttl),
    )
    journal_append(
        event_type="downloads:link:issue",
        actor_id=user.pk,
        target=data_file,
        link_id=link.pk,
        details={
            "link": link.pk,
            "channel": channel,
            "binding": binding,
            "api_token": api_token.pk if api_token is not None else None,
            "expires_at": link.expires_at.isoformat(),
            "entitlement": entitlement.pk,
        },
        **_scope(data_file, entitlement),
        **_requester(),
    )
    return IssuedLink(link=link, secret=secret)


def _held_by_requester(link: DownloadLink, *, requester, bearer: str | None) -> bool:
    if link.binding == DownloadLink.Binding.NONE:
        return True
    if link.binding == DownloadLink.Binding.TOKEN:
        token = api_token_authenticate(bearer) if bearer else None
        return token is not None and token.pk == link.api_token_id
    return bool(
        getattr(requester, "is_authenticated", False)
        and requester.is_active
        and requester.pk == link.user_id
    )


def _bare(model, fields: dict[str, Any], **related: Any):
    """An instance of ``model`` holding ``fields`` (and ``related`` objects as its cached
    relations) without ``Model.__init__``, which (with the translated fields' hooks) costs
    more than the query that found the values: what ``Model.from_db`` makes of a row, for the
    few columns the hot path reads. Any other field is read from the database if asked for."""
    obj = model.__new__(model)
    obj.__dict__.update(fields)
    state = obj._state = ModelState()
    state.adding = False
    state.db = DEFAULT_DB_ALIAS
    if related:
        state.fields_cache.update(related)
    return obj


def _from_grant(model, grant: dict, path: str, names: tuple[str, ...], **related: Any):
    """``_bare`` of the object ``policy.link_grant`` reached through ``path`` (a link's
    relation, "" for the link itself): the row names its columns ``<path>_id`` and
    ``<path>__<field>``."""

    def column(name: str) -> str:
        if not path:
            return name
        return f"{path}_id" if name == "id" else f"{path}__{name}"

    return _bare(model, {name: grant[column(name)] for name in names}, **related)


def _link_of(grant: dict, secret_hash: str) -> DownloadLink:
    """The link (with its file, variant, dataset and entitlement) from ``policy.link_grant``'s
    row, without another query."""
    dataset = _from_grant(Dataset, grant, "data_file__variant__dataset", ("id", "custodian_id"))
    variant = _from_grant(
        Variant, grant, "data_file__variant", ("id", "slug", "dataset_id"), dataset=dataset
    )
    data_file = _from_grant(
        DataFile,
        grant,
        "data_file",
        ("id", "path", "storage_name", "size", "media_type", "sha256", "variant_id"),
        variant=variant,
    )
    entitlement = _from_grant(Entitlement, grant, "entitlement", ("id", "licence_id"))
    # The query matched the entitlement's user and variant to the link's and its file's.
    entitlement.user_id, entitlement.variant_id = grant["user_id"], variant.pk
    link = _from_grant(
        DownloadLink,
        grant,
        "",
        ("id", "user_id", "entitlement_id", "data_file_id", "binding", "api_token_id"),
        data_file=data_file,
        entitlement=entitlement,
    )
    link.secret_hash = secret_hash
    return link


def link_still_granted(link: DownloadLink) -> bool:
    """The mid-transfer re-check of a streamed download: the same one query as each request
    (an expiry during a transfer does not stop it; a revocation does)."""
    grant = policy.link_grant(link.secret_hash)
    return bool(grant is not None and grant["granted"] and grant["id"] == link.pk)


def _held_fast(link: DownloadLink, grant: dict, *, requester, bearer: str | None) -> bool:
    """``_held_by_requester`` from the one query's row: a token-bound link compares the
    bearer's hash with its token's (and refreshes the token's "last used" once a minute)."""
    if link.binding != DownloadLink.Binding.TOKEN:
        return _held_by_requester(link, requester=requester, bearer=bearer)
    expected = grant["api_token__token_hash"]
    if not (bearer and expected and grant["token_ok"]):
        return False
    if not hmac.compare_digest(hash_token(bearer), expected):
        return False
    if grant["token_stale"] and link.api_token_id is not None:
        ApiToken.objects.filter(pk=link.api_token_id).update(last_used_at=timezone.now())
    return True


def download_link_check(
    *,
    secret: str,
    range_header: str | None = None,
    requester=None,
    bearer: str | None = None,
) -> DownloadLink:
    """The link for ``secret`` if it may be used for this request; otherwise the refusal is
    audited and raised. Runs on EVERY request, so a resumed range after a revocation is
    refused like a fresh download. ``requester`` is the session's user, ``bearer`` the API
    token the request carries: a link works only with the one it was issued to; to anyone
    else it is refused exactly like an unknown link.

    The hot path is reads only: one precompiled query (``policy.link_grant``) answers "is
    the link live, its entitlement usable and its file servable"; only a link it does not
    grant takes the slow path below, which finds and audits the reason."""
    if secret and len(secret) < 100:
        secret_hash = _hash(secret)
        grant = policy.link_grant(secret_hash)
        if grant is not None and grant["live"] and grant["granted"]:
            link = _link_of(grant, secret_hash)
            if _held_fast(link, grant, requester=requester, bearer=bearer):
                return link
    return _link_check_slow(
        secret=secret, range_header=range_header, requester=requester, bearer=bearer
    )


def _link_check_slow(
    *, secret: str, range_header: str | None, requester, bearer: str | None
) -> DownloadLink:
    link = (
        DownloadLink.objects.select_related(
            "user", "entitlement", "data_file", "data_file__variant__dataset"
        )
        .filter(secret_hash=_hash(secret))
        .first()
        if secret and len(secret) < 100
        else None
    )
    unknown = NotFound(
        gettext(
            "This download link is not valid here. A link works only in the browser session "
            "(or with the API token) that asked for it: start the download again from the "
            "dataset's download page while signed in, or rerun `accord fetch`."
        )
    )
    if link is None:
        audit_refusal(user=requester, data_file=None, reason="unknown-link", range=range_header)
        raise unknown
    details = {"link": link.pk, "range": range_header}
    if not _held_by_requester(link, requester=requester, bearer=bearer):
        audit_refusal(
            user=requester,
            data_file=link.data_file,
            reason="not-link-holder",
            binding=link.binding,
            **details,
        )
        raise unknown
    if link.is_expired():
        audit_refusal(user=link.user, data_file=link.data_file, reason="expired", **details)
        raise LinkExpired(
            gettext(
                "This download link has expired (links last %(seconds)s seconds). Start the "
                "download again; `accord fetch` resumes where it stopped."
            )
            % {"seconds": settings.DOWNLOAD_LINK_TTL}
        )
    if policy.is_withdrawn(link.data_file):
        audit_refusal(user=link.user, data_file=link.data_file, reason="withdrawn", **details)
        raise NotAllowed(
            gettext(
                "This file is no longer served: it was removed from the dataset (a consent "
                "withdrawal). Delete any copy you have; `accord fetch` lists the files to "
                "delete, and the custodian has asked those who downloaded it to confirm."
            )
        )
    usable = policy.is_entitlement_usable(link.user, link.entitlement)
    if usable and not policy.can_download(link.user, link.data_file):
        usable = False  # e.g. the file was quarantined after the link was issued
    if not usable:
        audit_refusal(user=link.user, data_file=link.data_file, reason="revoked", **details)
        # The why (a revocation reason may name a breach) is on the holder's own "Your data"
        # page and API, not in a refusal anyone with the URL can read.
        raise NotAllowed(
            gettext(
                "Your access to this file has ended, so this link no longer works. Your data "
                "page (%(url)s) says why. If you think this is a mistake, contact your "
                "licence's signer or the data custodian."
            )
            % {"url": reverse("access:my_access")}
        )
    return link


def _requester() -> dict[str, Any]:
    ctx = current_request.get()
    return {"ip_address": ctx.ip_address, "user_agent": ctx.user_agent} if ctx else {}


def record_served(
    *,
    link: DownloadLink,
    sent: int,
    expected: int,
    status: int,
    byte_range: str | None,
    backend: str,
    ip_address: str | None,
    user_agent: str,
    stopped: bool = False,
) -> None:
    """Journal one finished response: completed (every byte asked for was sent) or cut off,
    by the client going away or (``stopped``) by access ending mid-transfer."""
    complete = sent == expected and not stopped
    journal_append(
        event_type="downloads:file:serve" if complete else "downloads:file:interrupt",
        actor_id=link.user_id,
        target=link.data_file,
        link_id=link.pk,
        bytes=sent,
        ip_address=ip_address,
        user_agent=user_agent,
        details={
            "link": link.pk,
            "bytes": sent,
            "expected": expected,
            "range": byte_range,
            "status": status,
            "backend": backend,
            "whole_file": complete and expected == link.data_file.size,
            "stopped_by_policy": stopped,
        },
        **_scope(link.data_file, link.entitlement),
    )


def record_handoff(*, link: DownloadLink, backend: str, range_header: str | None, **extra) -> None:
    """Journal a download handed to nginx or S3, which serve the bytes without us: one
    insert, committed before the response leaves (no chain lock; sealed later)."""
    journal_append(
        event_type="downloads:file:handoff",
        actor_id=link.user_id,
        target=link.data_file,
        link_id=link.pk,
        details={"link": link.pk, "backend": backend, "range": range_header, **extra},
        **_scope(link.data_file, link.entitlement),
        **_requester(),
    )
