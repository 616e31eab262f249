"""Writes for accounts: API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accord.accounts.models import ApiToken, User
from accord.audit.services import audit_record

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
        details={"name": token.name, "scope": scope, "prefix": token.prefix},
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
