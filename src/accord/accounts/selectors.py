"""Reads for accounts. Who an email address belongs to is decided here, and only a
*verified* address belongs to anyone: an address someone merely typed in (at sign-up, or as
an extra address) proves nothing, so it never finds a user, receives a password reset, or
counts as a signer's or member's address anywhere in Accord."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db.models import QuerySet

from accord.accounts.models import KnownDevice, User


def verified_user_for_email(email: str) -> User | None:
    """The account that verified ``email``, or None. At most one can (allauth's
    unique_verified_email constraint, with ACCOUNT_UNIQUE_EMAIL)."""
    if not email:
        return None
    address = (
        EmailAddress.objects.filter(email__iexact=email.strip(), verified=True)
        .select_related("user")
        .first()
    )
    return address.user if address else None


def has_verified_email(user, email: str) -> bool:
    if not email or not getattr(user, "pk", None):
        return False
    return EmailAddress.objects.filter(
        user_id=user.pk, email__iexact=email.strip(), verified=True
    ).exists()


def verified_emails(user) -> QuerySet:
    """The user's verified addresses, as a values queryset usable in ``__in`` filters."""
    return EmailAddress.objects.filter(user_id=user.pk, verified=True).values("email")


def verified_email_list(user) -> list[str]:
    return list(verified_emails(user).order_by("-primary", "email").values_list("email", flat=True))


def is_pending_signup(user: User) -> bool:
    """An account nobody has shown they own: no verified address, never signed in, and no
    role given to it by a person. Whoever later proves the address may replace it."""
    return not (
        user.is_staff
        or user.is_superuser
        or user.last_login is not None
        or EmailAddress.objects.filter(user_id=user.pk, verified=True).exists()
        or user.staff_memberships.exists()
    )


def primary_holder(email: str) -> User | None:
    """The account whose own address (``User.email``) is ``email``, verified or not."""
    return User.objects.filter(email__iexact=email.strip()).first() if email else None


def users_for_login(email: str) -> list[User]:
    """Who may sign in with ``email`` and a password: the account that verified it; else the
    account whose own address it is (allauth then holds it at "verify your address" and sends
    the link again). An unverified *extra* address never signs anybody in."""
    owner = verified_user_for_email(email) or primary_holder(email)
    return [owner] if owner is not None else []


def email_is_taken(email: str) -> bool:
    """Sign-up with ``email`` must not create a second account: someone verified it, or an
    account that is more than a pending sign-up holds it as its own address."""
    if verified_user_for_email(email) is not None:
        return True
    holder = primary_holder(email)
    return holder is not None and not is_pending_signup(holder)


def unverified_claims(email: str, *, except_user: User | None = None) -> QuerySet[EmailAddress]:
    claims = EmailAddress.objects.filter(email__iexact=email.strip(), verified=False)
    if except_user is not None:
        claims = claims.exclude(user_id=except_user.pk)
    return claims.select_related("user")


def known_device(user, key_hash: str) -> KnownDevice | None:
    return KnownDevice.objects.filter(user_id=user.pk, key_hash=key_hash).first()
