"""Data for scale runs (``accord seed_scale``): at factor 1, 100k users, 20k licences (all of one
popular dataset, so a change of its terms fans out to every one), 200k entitlements, 100k files
and 1M audit events, written with bulk inserts in minutes.

Rows are what the services would have left behind (licences with their signer and accepted
members, entitlements in sync with them, files scanned clean), and the audit events continue
the chain as ``audit_record`` appends them (payload, hash, MAC, personal fields beside the
chain), so ``accord audit verify`` passes. Never for production data: it refuses to run twice.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from accord.core import clock

USERS, LICENCES, ENTITLEMENTS, FILES, EVENTS = 100_000, 20_000, 200_000, 100_000, 1_000_000
DATASETS = 10  # two variants each; every licence is of the first ("scale-00")
BATCH = 5_000
LANGUAGES = ("en", "zh-hans", "fi", "")  # "" = no preference (English)
CUSTODIAN_SLUG = "scale-lab"
STAFF_EMAIL = "staff@scale-lab.example.org"
POWER_EMAIL = "user000000@uni00.example.edu"  # in about 10% of the licences (see _licences)
POWER_EVERY = 10
PASSWORD = "scale-seed-password"  # noqa: S105 - synthetic accounts; every seeded account's, for load runs that sign in


@dataclass
class Sizes:
    users: int
    licences: int
    entitlements: int
    files: int
    events: int

    @classmethod
    def at(cls, factor: float) -> Sizes:
        def n(full: int, least: int) -> int:
            return max(least, round(full * factor))

        licences = n(LICENCES, 2)
        # Holders per licence (signer + members) × 2 variants = entitlements.
        holders = max(1, min(n(ENTITLEMENTS, 4 * licences) // (2 * licences), 50))
        users = max(n(USERS, 10), licences * holders // 2 + holders)
        return cls(users, licences, licences * holders * 2, n(FILES, 4), n(EVENTS, 10))

    @property
    def holders(self) -> int:
        return self.entitlements // (2 * self.licences)


def _chunks(items, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _bulk(model, rows: list, **kwargs) -> list:
    """bulk_create in batches, each its own transaction (SQLite keeps its journal small)."""
    created: list = []
    for chunk in _chunks(rows):
        with transaction.atomic():
            created += model.objects.bulk_create(chunk, **kwargs)
    return created


class AlreadySeeded(Exception):
    pass


def seed_scale(
    *, factor: float = 1.0, events: int | None = None, say: Callable[[str], None] = lambda _: None
) -> dict:
    """Seed the portal at ``factor`` × the full sizes (``events``: that many audit events
    instead); returns the sizes and each step's seconds."""
    from accord.access.models import Entitlement
    from accord.catalog.models import Custodian

    if Custodian.objects.filter(slug=CUSTODIAN_SLUG).exists():
        raise AlreadySeeded(
            f"This database already holds scale data (custodian {CUSTODIAN_SLUG}); "
            "seed an empty database."
        )
    sizes = Sizes.at(factor)
    if events is not None:
        sizes.events = max(0, events)
    timings: dict[str, float] = {}

    def step(name: str, fn, *args):
        start = time.perf_counter()
        result = fn(*args)
        timings[name] = round(time.perf_counter() - start, 2)
        say(f"{name}: {timings[name]} s")
        return result

    start = time.perf_counter()
    catalogue = step("catalogue", _catalogue)
    users = step("users", _users, sizes)
    licences = step("licences", _licences, sizes, catalogue, users)
    step("entitlements", _entitlements, catalogue, licences)
    step("files", _files, sizes, catalogue)
    step("events", _events, sizes, catalogue, licences)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a bulk load
    else:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA optimize")
    timings["total"] = round(time.perf_counter() - start, 2)
    return {
        "factor": factor,
        "users": sizes.users,
        "licences": sizes.licences,
        "entitlements": Entitlement.objects.count(),  # the power user's (_licences) too
        "files": sizes.files,
        "events": sizes.events,
        "seconds": timings,
        "dataset": catalogue["datasets"][0].slug,
        "staff_email": STAFF_EMAIL,
    }


def _catalogue() -> dict:
    from accord.accounts.models import User
    from accord.catalog.models import Custodian, CustodianStaff, Dataset, LicenseVersion, Variant

    now = clock.now()
    custodian = Custodian.objects.create(
        slug=CUSTODIAN_SLUG,
        name="Scale Lab",
        country="Finland",
        contact_email="data@scale-lab.example.org",
    )
    staff = User.objects.create_user(STAFF_EMAIL, PASSWORD, full_name="Scale Staff")
    CustodianStaff.objects.create(custodian=custodian, user=staff, role=CustodianStaff.Role.ADMIN)
    datasets = Dataset.objects.bulk_create(
        Dataset(
            custodian=custodian,
            slug=f"scale-{i:02d}",
            name=f"Scale dataset {i}",
            summary="Synthetic data for scale runs.",
            description="Synthetic data for scale runs.",
            is_published=True,
        )
        for i in range(DATASETS)
    )
    versions = LicenseVersion.objects.bulk_create(
        LicenseVersion(
            dataset=d,
            version=1,
            title=f"Licence agreement for {d.name}",
            effective_date=(now - timedelta(days=365)).date(),
            status=LicenseVersion.Status.PUBLISHED,
            published_at=now - timedelta(days=365),
        )
        for d in datasets
    )
    variants = Variant.objects.bulk_create(
        Variant(dataset=d, slug=f"{d.slug}-{kind}", name=kind.title(), position=p)
        for d in datasets
        for p, kind in enumerate(("raw", "processed"))
    )
    return {
        "custodian": custodian,
        "staff": staff,
        "datasets": datasets,
        "version": versions[0],
        "variants": variants,
    }


def _users(sizes: Sizes) -> list[int]:
    from allauth.account.models import EmailAddress

    from accord.accounts.models import User

    password = make_password(PASSWORD)
    joined = clock.now() - timedelta(days=400)
    rows = [
        User(
            email=f"user{i:06d}@uni{i % 97:02d}.example.edu",
            full_name=f"Researcher {i:06d}",
            password=password,
            language=LANGUAGES[i % len(LANGUAGES)],
            date_joined=joined,
        )
        for i in range(sizes.users)
    ]
    users = _bulk(User, rows)
    _bulk(
        EmailAddress,
        [EmailAddress(user_id=u.pk, email=u.email, verified=True, primary=True) for u in users],
    )
    return [u.pk for u in users]


def _licences(sizes: Sizes, catalogue: dict, users: list[int]) -> list[tuple[int, list[int]]]:
    """Each licence: a signer and ``holders - 1`` members who accepted. Users take part in
    about two licences each (as people do: their own group's and a collaborator's)."""
    from accord.accounts.models import User
    from accord.licences.models import Licence, LicenceMember

    dataset, version = catalogue["datasets"][0], catalogue["version"]
    granted = clock.now() - timedelta(days=200)
    holders = sizes.holders
    span = len(users)
    groups = [
        [users[(i * holders // 2 + k) % span] for k in range(holders)]
        for i in range(sizes.licences)
    ]
    # The first user is also a member of every 10th licence: a person whose lists (their
    # licences, their data) grow with the factor, for the 1x-against-100x page timings.
    for i in range(POWER_EVERY // 2, sizes.licences, POWER_EVERY):
        if users[0] not in groups[i]:
            groups[i].append(users[0])
    rows = _bulk(
        Licence,
        [
            Licence(
                reference=f"SC-{i + 1:06d}",
                dataset=dataset,
                license_version=version,
                signer_id=group[0],
                status=Licence.Status.ACTIVE,
                granted_at=granted,
            )
            for i, group in enumerate(groups)
        ],
    )
    through = Licence.variants.through
    pair = catalogue["variants"][:2]
    _bulk(through, [through(licence_id=lic.pk, variant_id=v.pk) for lic in rows for v in pair])
    emails = dict(User.objects.values_list("pk", "email"))  # no 100k-long IN list
    _bulk(
        LicenceMember,
        [
            LicenceMember(
                licence_id=lic.pk,
                user_id=uid,
                email=emails[uid],
                full_name=f"Researcher {uid}",
                status=LicenceMember.Status.ACTIVE,
                accepted_at=granted,
                accepted_license_version=version,
            )
            for lic, group in zip(rows, groups, strict=True)
            for uid in group[1:]
        ],
    )
    return [(lic.pk, group) for lic, group in zip(rows, groups, strict=True)]


def _entitlements(catalogue: dict, licences: list[tuple[int, list[int]]]) -> None:
    from accord.access.models import Entitlement

    version = catalogue["version"]
    pair = catalogue["variants"][:2]
    start = clock.now() - timedelta(days=200)
    _bulk(
        Entitlement,
        [
            Entitlement(
                user_id=uid,
                variant_id=v.pk,
                licence_id=licence_id,
                license_version_id=version.pk,
                valid_from=start,
            )
            for licence_id, group in licences
            for uid in group
            for v in pair
        ],
    )


def _files(sizes: Sizes, catalogue: dict) -> None:
    from accord.catalog.models import DataFile

    variants = catalogue["variants"]
    _bulk(
        DataFile,
        [
            DataFile(
                variant_id=variants[i % len(variants)].pk,
                path=f"s{i // 1000 % 100:02d}/clip-{i:06d}.mp4",
                size=1_000_000 + i,
                sha256=hashlib.sha256(str(i).encode()).hexdigest(),
                media_type="video/mp4",
                storage_name=f"scale/{i:06d}",
                scan_status=DataFile.ScanStatus.CLEAN,
            )
            for i in range(sizes.files)
        ],
    )


EVENT_KINDS = (
    # (event type, share in 100): mostly downloads, as in a portal in use.
    ("downloads:file:handoff", 80),
    ("downloads:link:issue", 15),
    ("agreements:licence:view", 5),
)


def _events(sizes: Sizes, catalogue: dict, licences: list[tuple[int, list[int]]]) -> None:
    """Append ``sizes.events`` events to the chain, continuing its head, hashed in Python and
    inserted in batches. The head row is locked for the whole append (on SQLite the write
    lock is), so nothing else appends in between and the chain never forks."""
    from accord.audit.keys import audit_key, mac_key
    from accord.audit.models import AuditHead, EventPersonal
    from accord.audit.services import _personal_row, sealed_event

    key = mac_key(audit_key())
    custodian_id = catalogue["custodian"].pk
    dataset_id = catalogue["datasets"][0].pk
    variants = catalogue["variants"][:2]
    kinds = [kind for kind, share in EVENT_KINDS for _ in range(share)]
    # Spread over the last 200 days, oldest first, millisecond precision (as audit_record).
    end = clock.now().replace(microsecond=0)
    step = timedelta(seconds=200 * 86400 / max(sizes.events, 1))
    first = end - step * sizes.events
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        seq, prev = head.seq, head.hash
        events: list = []
        personal: list = []
        for i in range(sizes.events):
            seq += 1
            licence_id, group = licences[i % len(licences)]
            actor = group[i % len(group)]
            row, commitment = _personal_row(
                EventPersonal.Role.ACTOR,
                actor,
                email=f"user{actor}@scale.example.edu",
                ip_address=f"10.{i % 200}.{i // 200 % 250}.{i % 250 + 1}",
                user_agent="accord-client/1.4 (python-httpx)",
            )
            created = first + step * i
            created = created.replace(microsecond=created.microsecond // 1000 * 1000)
            event = sealed_event(
                key=key,
                seq=seq,
                prev_hash=prev,
                event_type=kinds[i % len(kinds)],
                created=created,
                actor_id=actor,
                target_type="catalog.variant",
                target_id=str(variants[i % 2].pk),
                target_label=variants[i % 2].slug,
                custodian_id=custodian_id,
                dataset_id=dataset_id,
                licence_id=licence_id,
                details={"file": f"clip-{i % 100_000:06d}.mp4", "bytes": 1_000_000 + i},
                commitments={"actor": commitment},
            )
            prev = event.hash
            events.append(event)
            personal.append(row)
            if len(events) == BATCH:
                _insert(events, personal)
                events, personal = [], []
        _insert(events, personal)
        AuditHead.objects.filter(id=1).update(seq=seq, hash=prev)


def _insert(events: list, personal: list) -> None:
    from accord.audit.models import Event, EventPersonal

    Event.objects.bulk_create(events)  # the ids come back (RETURNING), whatever the database
    for event, row in zip(events, personal, strict=True):
        row.event_id = event.pk
    EventPersonal.objects.bulk_create(personal)
