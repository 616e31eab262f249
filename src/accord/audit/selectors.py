"""Reads of the audit trail: what a staff member may see, filtered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from accord.access import policy
from accord.audit.models import Checkpoint, EventPersonal, JournalEntry
from accord.core.permissions import Permission


@dataclass(frozen=True)
class EventFilter:
    dataset_id: int | None = None
    licence_id: int | None = None
    user: str = ""  # actor email (case-insensitive, exact) or "" for anyone
    event_type: str = ""  # exact type or a prefix ending in ":" ("agreements:")
    since: date | None = None
    until: date | None = None  # inclusive
    # An application's own events and those of the licence it was granted (-1: none such).
    application_id: int | None = None
    application_licence_id: int | None = None
    file: str = ""  # part of a file's "<variant>/<path>", case-insensitive


def events_visible_to(user, permission: Permission = Permission.AUDIT_EVENT_VIEW) -> QuerySet:
    """Events of the custodians where ``user`` holds ``permission`` (every event for a
    superuser). Events with no custodian (sign-ins, system events) are superuser-only."""
    return policy.audit_events_visible_to(user, permission).prefetch_related("personal")


def journal_visible_to(user, permission: Permission = Permission.AUDIT_EVENT_VIEW) -> QuerySet:
    """Download journal rows (not yet sealed or sealed) under the same scope as the events."""
    ids = policy.audit_scope(user, permission)
    qs = JournalEntry.objects.all()
    return qs if ids is None else qs.filter(custodian_id__in=ids)


def filter_journal(qs: QuerySet, f: EventFilter) -> QuerySet:
    """``filter_events`` for journal rows (people are by id there: the person filter asks
    the accounts table; an application matches the licence it was granted)."""
    from django.contrib.auth import get_user_model

    if f.dataset_id is not None:
        qs = qs.filter(dataset_id=f.dataset_id)
    if f.licence_id is not None:
        qs = qs.filter(licence_id=f.licence_id)
    if f.user:
        users = get_user_model().objects.filter(email__iexact=f.user.strip())
        qs = qs.filter(actor_id__in=users.values("pk"))
    if f.event_type:
        if f.event_type.endswith(":") or f.event_type.count(":") < 2:
            qs = qs.filter(event_type__startswith=f.event_type.rstrip(":") + ":")
        else:
            qs = qs.filter(event_type=f.event_type)
    if f.application_id is not None:
        qs = qs.filter(licence_id=f.application_licence_id if f.application_licence_id else -1)
    if f.file:
        qs = qs.filter(target_type="catalog.datafile", target_label__icontains=f.file.strip())
    if f.since:
        qs = qs.filter(created__gte=_day_start(f.since))
    if f.until:
        qs = qs.filter(created__lt=_day_start(f.until + timedelta(days=1)))
    return qs


@dataclass
class JournalRow:
    """A journal row as the trail page and the exports show an event."""

    entry: JournalEntry
    actor_repr: str = ""

    def __getattr__(self, name):
        return getattr(self.entry, name)

    @property
    def seq(self) -> str:
        return f"J{self.entry.pk}"

    @property
    def target_repr(self) -> str:
        return self.entry.target_label

    @property
    def ip_address(self) -> str | None:
        return journal_personal(self.entry, "ip_address") or None

    @property
    def user_agent(self) -> str:
        return journal_personal(self.entry, "user_agent")


def journal_personal(entry: JournalEntry, field: str) -> str:
    """A journal row's address or browser, or "erased" once the person's data was erased
    (as events show theirs)."""
    from django.utils.translation import gettext

    return gettext("erased") if entry.erased is not None else getattr(entry, field)


def journal_rows(entries) -> list[JournalRow]:
    """``entries`` with their actors' emails (one query)."""
    from django.contrib.auth import get_user_model

    entries = list(entries)
    ids = {e.actor_id for e in entries if e.actor_id is not None}
    emails = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "email"))
    return [JournalRow(e, emails.get(e.actor_id, "")) for e in entries]


# The trail as one list: chained events and journal rows in time order (ties: events first,
# then by seq or row id), paged in the database. The web page, its exports and the API read
# it alike.
CHAIN, JOURNAL = 0, 1


def trail_keys(events: QuerySet, journal: QuerySet, *, newest_first: bool = True) -> QuerySet:
    """``(created, source, id)`` of ``events`` (CHAIN, seq) and ``journal`` rows (JOURNAL,
    id) as one ordered queryset: a page of it costs one query, its count another."""
    from django.db.models import F, IntegerField, Value

    def keys(rows: QuerySet, source: int, key: str) -> QuerySet:
        return (
            rows.prefetch_related(None)
            .order_by()
            .annotate(source=Value(source, output_field=IntegerField()), key=F(key))
            .values_list("created", "source", "key")
        )

    order = ("-created", "-source", "-key") if newest_first else ("created", "source", "key")
    return keys(events, CHAIN, "seq").union(keys(journal, JOURNAL, "id"), all=True).order_by(*order)


def trail_rows(keys, events: QuerySet) -> list:
    """The events (``events``, prefetched as given) and ``JournalRow``s a page of
    ``trail_keys`` names, in its order: at most four queries whatever the page's size."""
    keys = list(keys)
    chain_ids = [key for _created, source, key in keys if source == CHAIN]
    journal_ids = [key for _created, source, key in keys if source == JOURNAL]
    found = {e.seq: e for e in events.filter(seq__in=chain_ids)} if chain_ids else {}
    entries = (
        {r.entry.pk: r for r in journal_rows(JournalEntry.objects.filter(pk__in=journal_ids))}
        if journal_ids
        else {}
    )
    return [found[key] if source == CHAIN else entries[key] for _created, source, key in keys]


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def filter_events(qs: QuerySet, f: EventFilter) -> QuerySet:
    if f.dataset_id is not None:
        qs = qs.filter(dataset_id=f.dataset_id)
    if f.licence_id is not None:
        qs = qs.filter(licence_id=f.licence_id)
    if f.user:
        qs = qs.filter(
            personal__role=EventPersonal.Role.ACTOR,
            personal__email__iexact=f.user.strip(),
            personal__erased__isnull=True,
        )
    if f.event_type:
        # Types are "<app>:<thing>:<action>": fewer parts ("downloads", "downloads:file") is
        # a prefix, as is anything ending in ":".
        if f.event_type.endswith(":") or f.event_type.count(":") < 2:
            qs = qs.filter(event_type__startswith=f.event_type.rstrip(":") + ":")
        else:
            qs = qs.filter(event_type=f.event_type)
    if f.application_id is not None:
        about = Q(target_type="agreements.application", target_id=str(f.application_id))
        if f.application_licence_id is not None:
            about |= Q(licence_id=f.application_licence_id)
        qs = qs.filter(about)
    if f.file:
        qs = qs.filter(target_type="catalog.datafile", target_label__icontains=f.file.strip())
    if f.since:
        qs = qs.filter(created__gte=_day_start(f.since))
    if f.until:
        qs = qs.filter(created__lt=_day_start(f.until + timedelta(days=1)))
    return qs


def event_types(qs: QuerySet) -> list[str]:
    return list(qs.order_by().values_list("event_type", flat=True).distinct()[:200])


def latest_checkpoint() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-number").first()


# --- Download sessions ---------------------------------------------------------------------
# One `accord fetch` of 219 files writes a link and a serve (or hand-off) event per file. The
# trail page shows them as one row per fetch session, expandable to the files; exports keep
# one row per event. Refusals and manifests stay single rows: they are decisions to see.
DOWNLOAD_SESSION_TYPES = (
    "downloads:link:issue",
    "downloads:file:serve",
    "downloads:file:interrupt",
    "downloads:file:handoff",
)
# Events of the same person, credential and variant at most this far apart are one session.
DOWNLOAD_SESSION_GAP = timedelta(minutes=10)


@dataclass(frozen=True)
class DownloadEvent:
    """What grouping needs of one download event."""

    seq: int
    created: datetime
    event_type: str
    actor_id: int | None
    dataset_id: int | None
    file_label: str  # "<variant>/<path>"
    link_id: int | None
    bytes: int | None  # bytes sent (serve, interrupt); None when nginx or S3 sent them


@dataclass
class DownloadSession:
    first: DownloadEvent
    last: DownloadEvent
    events: list[DownloadEvent]
    credential: str  # "session", "token #<id>", "unbound" or "" when the link is gone

    @property
    def files(self) -> list[str]:
        return sorted({e.file_label for e in self.events})

    @property
    def file_count(self) -> int:
        return len(self.files)

    @property
    def bytes(self) -> int:
        return sum(e.bytes or 0 for e in self.events)

    @property
    def served(self) -> int:
        return sum(1 for e in self.events if e.event_type != "downloads:link:issue")

    @property
    def span(self) -> str:
        return f"J{self.first.seq}–J{self.last.seq}"

    def anchor(self, newest_first: bool) -> int:
        """The seq of the event the session's row stands in place of."""
        return self.last.seq if newest_first else self.first.seq


def download_events(qs: QuerySet) -> list[DownloadEvent]:
    """The download events among the journal rows ``qs`` (already scoped and filtered),
    oldest first. The one place the trail page reads them; ``seq`` is the row's id."""
    rows = (
        qs.filter(event_type__in=DOWNLOAD_SESSION_TYPES)
        .order_by("id")
        .values_list(
            "id",
            "created",
            "event_type",
            "actor_id",
            "dataset_id",
            "target_label",
            "link_id",
            "bytes",
        )
    )
    events = []
    for pk, created, event_type, actor_id, dataset_id, label, link, sent in rows.iterator(2000):
        events.append(
            DownloadEvent(
                seq=pk,
                created=created,
                event_type=event_type,
                actor_id=actor_id,
                dataset_id=dataset_id,
                file_label=label,
                link_id=link,
                bytes=sent,
            )
        )
    return events


def _link_keys(link_ids: set[int]) -> dict[int, tuple[str, int | None]]:
    """Each link's credential ("session", "token #7", "unbound") and variant."""
    from accord.downloads.models import DownloadLink

    keys: dict[int, tuple[str, int | None]] = {}
    ids = sorted(link_ids)
    for start in range(0, len(ids), 5000):
        for pk, binding, token_id, variant_id in DownloadLink.objects.filter(
            pk__in=ids[start : start + 5000]
        ).values_list("pk", "binding", "api_token_id", "data_file__variant_id"):
            credential = f"token #{token_id}" if binding == "token" else binding
            keys[pk] = (credential, variant_id)
    return keys


def download_sessions(
    events: list[DownloadEvent], *, gap: timedelta = DOWNLOAD_SESSION_GAP
) -> list[DownloadSession]:
    """``events`` (oldest first) grouped into fetch sessions: the same person, with the same
    credential (browser session or API token), on the same variant, each event at most
    ``gap`` after the one before. Oldest first."""
    keys = _link_keys({e.link_id for e in events if e.link_id is not None})
    open_sessions: dict[tuple, DownloadSession] = {}
    sessions: list[DownloadSession] = []
    for event in events:
        credential, variant = keys.get(event.link_id or 0, ("", None))
        key = (event.actor_id, credential, variant if variant is not None else event.dataset_id)
        session = open_sessions.get(key)
        if session is None or event.created - session.last.created > gap:
            session = DownloadSession(
                first=event, last=event, events=[event], credential=credential
            )
            open_sessions[key] = session
            sessions.append(session)
        else:
            session.events.append(event)
            session.last = event
    return sessions
