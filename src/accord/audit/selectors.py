"""Reads of the audit trail: what a staff member may see, filtered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Q, QuerySet
from django.utils import timezone

from accord.access import policy
from accord.audit.models import Checkpoint, Event, EventPersonal, JournalEntry
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


def trail_keys(events: QuerySet, journal: QuerySet, *, newest_first: bool = True) -> TrailKeys:
    """``(created, source, id)`` of ``events`` (CHAIN, seq) and ``journal`` rows (JOURNAL,
    id) in one time order, to be sliced: see ``TrailKeys``."""
    return TrailKeys(events, journal, newest_first=newest_first)


class TrailKeys:
    """The trail's keys as a sequence the paginators slice. A slice ``[start:stop]`` reads the
    first ``stop`` keys of each source in its own index order (custodian, created, key) and
    merges them: two queries reading at most ``stop`` rows each. Ordering the union of both
    in the database sorted every matching row for any page (a 100k-event trail took 100 ms,
    and the paginator's COUNT over the union as long again)."""

    def __init__(self, events: QuerySet, journal: QuerySet, *, newest_first: bool = True):
        self.events, self.journal, self.newest_first = events, journal, newest_first

    def _keys(self, rows: QuerySet, source: int, key: str, stop: int) -> list[tuple]:
        sign = "-" if self.newest_first else ""
        ordered = rows.prefetch_related(None).order_by(f"{sign}created", f"{sign}{key}")
        return [(created, source, k) for created, k in ordered.values_list("created", key)[:stop]]

    def __getitem__(self, item: slice) -> list[tuple]:
        if not isinstance(item, slice) or item.stop is None:
            raise TypeError("the trail is read a page at a time: slice it with a stop")
        keys = self._keys(self.events, CHAIN, "seq", item.stop)
        keys += self._keys(self.journal, JOURNAL, "id", item.stop)
        keys.sort(reverse=self.newest_first)  # (created, source, key): events first on ties
        return keys[item.start or 0 : item.stop]

    def count(self) -> int:
        """Both sources counted apart (each on its custodian index), not their union."""
        return self.events.order_by().count() + self.journal.order_by().count()

    def __len__(self) -> int:
        return self.count()


def trail_rows(keys) -> list:
    """The events (their personal rows prefetched) and ``JournalRow``s a page of
    ``trail_keys`` names, in its order: at most four queries whatever the page's size."""
    keys = list(keys)
    chain_ids = [key for _created, source, key in keys if source == CHAIN]
    journal_ids = [key for _created, source, key in keys if source == JOURNAL]
    # The keys were read from the reader's events (their scope and filters), so the rows are
    # fetched by seq alone: with the scope's custodian filter as well, SQLite walked the
    # custodian's index over every event instead of seq's unique index (60 ms at 100k).
    page_events = Event.objects.filter(seq__in=chain_ids).prefetch_related("personal")
    found = {e.seq: e for e in page_events} if chain_ids else {}
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
    """The different types of ``qs``'s rows (at most 200), read as a loose index scan: each
    type is the least one after the previous, one seek each in the (custodian, type) index,
    where SELECT DISTINCT stepped through every row (40 ms at 100k events)."""
    try:
        inner, params = qs.order_by().values("event_type").query.sql_with_params()
    except EmptyResultSet:
        return []
    # The ORM's own SQL for qs, its values passed as parameters.
    sql = (
        "WITH RECURSIVE types(t) AS ("  # noqa: S608
        f" SELECT (SELECT MIN(x.event_type) FROM ({inner}) x)"
        " UNION ALL"
        f" SELECT (SELECT MIN(x.event_type) FROM ({inner}) x WHERE x.event_type > types.t)"
        " FROM types WHERE types.t IS NOT NULL"
        ") SELECT t FROM types WHERE t IS NOT NULL LIMIT 200"
    )
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, (*params, *params))
        return [row[0] for row in cursor.fetchall()]


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
