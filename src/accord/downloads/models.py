"""Short-lived download links.

A link is a database row holding only the SHA-256 of its secret, not a self-contained signed
token. Why: links end up in browser histories and proxy logs, so each must be bound
server-side to one user, one file and one entitlement, be refusable the instant access ends
(every request, resumed ranges included, re-runs the policy check against the row's
entitlement), and be traceable in the audit log (which link served which bytes). A signed
token would have to carry all of that in the URL and could only be refused by the same
database look-ups anyway.

Knowing the secret is not enough: a link also needs the credential it was issued to
(``binding``), so a link copied out of a history, a log or a chat is refused like an unknown
one. A browser link needs the user's signed-in session; an API link needs the same API token
in the Authorization header. Only the deprecated GET of the API issues unbound links, for
clients that do not send their token with the file request yet, and those live at most
UNBOUND_LINK_TTL seconds.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accord.core import clock
from accord.core.models import TimeStampedModel

# Journal events that mean some bytes of the link's file left the portal.
SERVED_EVENTS = ("downloads:file:serve", "downloads:file:interrupt", "downloads:file:handoff")


class DownloadLinkQuerySet(models.QuerySet):
    def used(self):
        """Links some bytes were sent through: a use in the audit journal (a Django stream,
        completed or cut off, or a hand-off to nginx or S3), or one counted on the row before
        the journal existed (``uses``)."""
        return self.filter(models.Q(uses__gt=0) | models.Exists(_journal_uses()))

    def with_journal_totals(self):
        """Each link with ``journal_uses`` and ``journal_bytes`` (from the journal)."""
        from django.db.models import Count, IntegerField, Subquery, Sum
        from django.db.models.functions import Coalesce

        rows = _journal_uses().order_by().values("link_id")
        return self.annotate(
            journal_uses=Coalesce(
                Subquery(rows.annotate(n=Count("id")).values("n")[:1]),
                0,
                output_field=IntegerField(),
            ),
            journal_bytes=Coalesce(
                Subquery(rows.annotate(b=Sum("bytes")).values("b")[:1]),
                0,
                output_field=models.BigIntegerField(),
            ),
        )


def _journal_uses():
    from accord.audit.models import JournalEntry

    return JournalEntry.objects.filter(link_id=models.OuterRef("pk"), event_type__in=SERVED_EVENTS)


class DownloadLink(TimeStampedModel):
    class Channel(models.TextChoices):
        WEB = "web", _("Browser")
        API = "api", _("API / accord fetch")

    class Binding(models.TextChoices):
        SESSION = "session", _("The user's signed-in browser session")
        TOKEN = "token", _("The API token that asked for it")
        NONE = "none", _("Nothing but the secret (deprecated API GET, short-lived)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="download_links"
    )
    data_file = models.ForeignKey(
        "catalog.DataFile", on_delete=models.CASCADE, related_name="download_links"
    )
    entitlement = models.ForeignKey(
        "access.Entitlement", on_delete=models.CASCADE, related_name="download_links"
    )
    secret_hash = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=3, choices=Channel.choices, default=Channel.WEB)
    binding = models.CharField(max_length=7, choices=Binding.choices, default=Binding.SESSION)
    api_token = models.ForeignKey(
        "accounts.ApiToken",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="download_links",
        help_text="With binding=token: the token every request must carry.",
    )
    expires_at = models.DateTimeField(db_index=True)
    # Counted here before the audit journal existed; uses since then are journal rows
    # (``DownloadLinkQuerySet.used``, ``with_journal_totals``).
    uses = models.PositiveIntegerField(default=0)
    bytes_served = models.BigIntegerField(default=0)

    objects = DownloadLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"link #{self.pk} for {self.data_file}"

    def is_expired(self, now=None) -> bool:
        return (now or clock.now()) >= self.expires_at
