"""Writes for accounts: API tokens, who may claim an email address, what a password change
ends, and the sign-in record (sign-in, sign-out, new device)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from accord.accounts import selectors
from accord.accounts.models import ApiToken, KnownDevice, User
from accord.audit.services import audit_record
from accord.notifications.email import notify_on_commit

TOKEN_PREFIX = "acc_"  # noqa: S105 - a public marker, not a secret


def hash_token(raw: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough (no brute force possible);
    # a slow KDF would make every API request pay for nothing.
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown to the user once, never stored


@transaction.atomic
def api_token_create(
    *, user: User, name: str, scope: str = ApiToken.Scope.READ, expires_at: datetime | None = None
) -> IssuedToken:
    body = secrets.token_urlsafe(32)
    raw = f"{TOKEN_PREFIX}{body}"
    token = ApiToken.objects.create(
        user=user,
        name=name.strip() or "token",
        prefix=raw[: len(TOKEN_PREFIX) + 8],
        token_hash=hash_token(raw),
        scope=scope,
        expires_at=expires_at,
    )
    audit_record(
        event_type="accounts:token:create",
        actor=user,
        target=token,
        details={"scope": scope, "prefix": token.prefix},
    )
    return IssuedToken(token=token, secret=raw)


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated"])
        audit_record(
            event_type="accounts:token:revoke",
            actor=actor,
            target=token,
            details={"prefix": token.prefix},
        )
    return token


def api_token_authenticate(raw: str | None) -> ApiToken | None:
    """The usable token matching ``raw`` (its user active), or None."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(token_hash=hash_token(raw)).first()
    if token is None or not token.is_usable() or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def _audit_user(event_type: str, user: User, *, actor: User | None, **details) -> None:
    """Account events are written once per custodian the user is staff of, so that custodian's
    auditors see their staff's sign-ins; for everyone else once, site-wide (superusers)."""
    from accord.catalog.models import CustodianStaff

    ids = sorted(CustodianStaff.objects.filter(user=user).values_list("custodian_id", flat=True))
    scopes: list[int | None] = [*ids] or [None]
    for custodian_id in scopes:
        audit_record(
            event_type=event_type,
            actor=actor,
            target=user,
            custodian_id=custodian_id,
            details=details,
        )


# --- Email claims ----------------------------------------------------------------------------


@transaction.atomic
def email_claims_release(*, email: str, keep: User | None = None, reason: str) -> int:
    """Drop every unverified claim to ``email`` except ``keep``'s, and return how many.

    Typing an address proves nothing, so an unverified claim must never stand in the way of
    whoever reads that mailbox. Called when someone signs up with the address (before their
    account is created) and when an account verifies it. An account that holds the address as
    its own and is only a pending sign-up (see selectors.is_pending_signup) is removed: it was
    never usable, and its verification link, sent to that same mailbox, stops working. Any
    other account keeping it as its own address is left alone (an operator made it)."""
    dropped = 0
    holder = selectors.primary_holder(email)
    if holder is not None and holder != keep and selectors.is_pending_signup(holder):
        try:
            with transaction.atomic():
                _audit_user(
                    "accounts:email:release",
                    holder,
                    actor=keep,
                    reason=reason,
                    account_removed=True,
                )
                holder.delete()
            dropped += 1
        except ProtectedError:
            pass  # something refers to it after all: it is more than a pending sign-up
    for claim in selectors.unverified_claims(email, except_user=keep):
        if claim.user.email.lower() == claim.email.lower():
            continue  # an account's own address, kept above
        _audit_user(
            "accounts:email:release",
            claim.user,
            actor=keep,
            reason=reason,
            account_removed=False,
        )
        claim.delete()
        dropped += 1
    return dropped


# --- Password changes ------------------------------------------------------------------------


@transaction.atomic
def password_change_apply(*, user: User, how: str, actor: User | None = None) -> int:
    """What a new password ends, so that whoever knew the old one is shut out: every API token
    (revoked) and every download link not yet expired. Other browser sessions end by
    themselves (Django ties each session to the password hash; the current one is re-keyed by
    allauth on a change). Audited; the user is emailed. Returns the number of tokens revoked.
    ``how``: change, reset, set (allauth's flows) or admin (a superuser set it)."""
    from accord.downloads.models import DownloadLink

    now = timezone.now()
    tokens = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
    ApiToken.objects.filter(pk__in=[t.pk for t in tokens]).update(revoked_at=now, updated=now)
    # A link is a bearer credential for its short life; one issued to the old credentials
    # must not outlive them.
    links = DownloadLink.objects.filter(user=user, expires_at__gt=now).update(expires_at=now)
    _audit_user(
        f"accounts:password:{how}",
        user,
        actor=actor or user,
        tokens_revoked=[t.prefix for t in tokens],
        download_links_ended=links,
    )
    notify_on_commit(
        to=selectors.verified_email_list(user) or [user.email],
        template="accounts/password_changed",
        context={
            "user": user,
            "how": how,
            "tokens_revoked": len(tokens),
            "tokens_url": _site_url(reverse("accounts:tokens")),
            "reset_url": _site_url(reverse("account_reset_password")),
        },
    )
    return len(tokens)


def _site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


# --- Sign-in record --------------------------------------------------------------------------

DEVICE_MEMORY = timedelta(days=365)


def device_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class SignIn:
    device_key: str  # to (re)set in the browser's device cookie
    new_device: bool


@transaction.atomic
def session_sign_in_record(
    *, user: User, device_key: str | None, user_agent: str, ip_address: str | None
) -> SignIn:
    """Record a completed sign-in. A browser without a device key this user has seen before
    is a new device: audited, and the user is emailed unless it is the first browser they
    ever used (right after sign-up there is nobody to warn)."""
    now = timezone.now()
    KnownDevice.objects.filter(user=user, last_seen__lt=now - DEVICE_MEMORY).delete()
    if device_key and (device := selectors.known_device(user, device_key_hash(device_key))):
        device.last_seen = now
        device.save(update_fields=["last_seen"])
        _audit_user("accounts:session:sign-in", user, actor=user, device="known")
        return SignIn(device_key=device_key, new_device=False)

    first_ever = not KnownDevice.objects.filter(user=user).exists()
    device_key = device_key or secrets.token_urlsafe(32)
    KnownDevice.objects.create(
        user=user,
        key_hash=device_key_hash(device_key),
        user_agent=user_agent[:300],
        first_seen=now,
        last_seen=now,
    )
    _audit_user("accounts:session:sign-in", user, actor=user, device="new")
    _audit_user("accounts:session:new-device", user, actor=user, first_device=first_ever)
    if not first_ever:
        notify_on_commit(
            to=selectors.verified_email_list(user) or [user.email],
            template="accounts/new_device",
            context={
                "user": user,
                "when": now,
                # Sent as plain text: one line, so a crafted header cannot add lines of its own.
                "user_agent": " ".join(user_agent.split())[:200],
                "ip_address": ip_address or "",
                "change_url": _site_url(reverse("account_change_password")),
            },
        )
    return SignIn(device_key=device_key, new_device=True)


@transaction.atomic
def session_sign_out_record(*, user: User) -> None:
    _audit_user("accounts:session:sign-out", user, actor=user)


@transaction.atomic
def user_language_set(*, user: User, language: str) -> User:
    """Save the language a person reads Accord and its emails in (a preference, not audited:
    it grants nothing and names nobody)."""
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user
