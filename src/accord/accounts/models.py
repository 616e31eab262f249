"""People who use Accord and their API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accord.core.models import TimeStampedModel


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """An account, identified by email. ``is_staff`` only opens the Django admin; what a
    custodian's staff may do is decided by CustodianStaff membership (see core.permissions)."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Pages and emails in this language once signed in; empty: the browser's (accounts.languages).
    language = models.CharField(max_length=10, blank=True, choices=settings.LANGUAGES)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class ApiToken(TimeStampedModel):
    """A personal API token. Only its SHA-256 is stored; the secret is shown once."""

    class Scope(models.TextChoices):
        READ = "read", _("Read only (catalogue, manifests, downloads)")
        WRITE = "write", _("Read and write")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now


class KnownDevice(models.Model):
    """A browser this user has signed in from, so a sign-in from any other can be told apart.

    The browser carries a random id in a long-lived, signed, HttpOnly cookie; only its SHA-256
    is stored here. Why not a hash of user agent and IP /24: user agents are shared by millions
    of browsers and a campus NAT puts a whole university in one /24, so an attacker there would
    pass as "known"; and people on phones and laptops change networks daily, so the honest
    owner would be warned about their own device all the time. A cookie the attacker's browser
    never had is both quieter and stricter."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="known_devices")
    key_hash = models.CharField(max_length=64)
    user_agent = models.CharField(max_length=300, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key_hash"], name="uniq_known_device")
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.user_agent[:60] or 'an unnamed browser'}"


class Erasure(TimeStampedModel):
    """One erasure of a person's personal data, as staff may see it: who (by pseudonym),
    when, how many rows of each kind were emptied, and the stored documents that were deleted
    (their SHA-256 kept, so a copy a custodian holds offline can still be matched). It holds
    none of the erased values. Custodians are those whose datasets the person applied to or
    held a licence of: their staff see the record."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="erasures")
    pseudonym = models.CharField(max_length=64)
    requested_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    counts = models.JSONField(default=dict, help_text="Kind of record -> rows erased.")
    documents = models.JSONField(
        default=list,
        help_text="Deleted stored documents: [{kind, reference, sha256, size, uploaded}].",
    )
    custodians = models.ManyToManyField("catalog.Custodian", blank=True, related_name="+")

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"erasure of {self.pseudonym} on {self.created:%Y-%m-%d}"
