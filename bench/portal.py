"""The Django side of `make bench`, run by bench/run.py in a subprocess per database (the
environment names the database and data folder):

    python -m bench.portal setup          a throw-away portal; prints JSON (token, file ids)
    python -m bench.portal verify EVENTS ROUNDS
                                          appends EVENTS events to the chain, then times
                                          `accord audit verify` against raw hashing of the
                                          same bytes (payloads, MACs, commitments) and of
                                          the payloads alone; prints JSON
    python -m bench.portal profile-request TOKEN FILE_ID N
                                          where an authorisation request's time goes
                                          (in process: total, database, queries); JSON

Events are appended the way audit_record writes them (payload, hash, MAC, the actor's
personal fields beside the chain), in bulk, continuing the chain the HTTP runs left.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from datetime import UTC, datetime
from operator import methodcaller
from pathlib import Path
from urllib.parse import urlsplit

MB = 1024 * 1024


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()


def write_file(path: Path, size: int) -> None:
    """``size`` bytes of incompressible data (a fresh 1 MiB pattern per MiB)."""
    block = os.urandom(min(size, MB))
    with path.open("wb") as fh:
        left = size
        while left > 0:
            fh.write(block[:left])
            left -= len(block)
            block = hashlib.sha256(block[:64]).digest() * (MB // 32)


def setup(work: Path, big_mb: int) -> dict:
    _django()
    from django.core.management import call_command
    from django.utils import timezone

    from accord.access.services import entitlements_sync_for_licence
    from accord.accounts.models import User
    from accord.accounts.services import api_token_create
    from accord.catalog.models import Custodian, DataFile, Dataset, LicenseVersion, Variant
    from accord.catalog.services import variant_ingest
    from accord.licences.models import Licence, LicenceMember

    call_command("migrate", verbosity=0)
    custodian = Custodian.objects.create(
        slug="bench", name="Bench Lab", country="Finland", contact_email="b@lab.example"
    )
    dataset = Dataset.objects.create(
        custodian=custodian, slug="bench", name="Bench", summary="s", description="d"
    )
    version = LicenseVersion.objects.create(
        dataset=dataset, version=1, title="LA", effective_date="2024-01-01", status="published"
    )
    variant = Variant.objects.create(dataset=dataset, slug="bench-files", name="Files")
    src = work / "ingest"
    src.mkdir(parents=True, exist_ok=True)
    write_file(src / "big.bin", big_mb * MB)
    write_file(src / "small.bin", 4096)
    variant_ingest(variant=variant, folder=src)
    # As if clamd had passed them (production serves only scanned files; no scanner here).
    variant.files.update(scan_status=DataFile.ScanStatus.CLEAN)
    for item in src.iterdir():
        item.unlink()
    src.rmdir()
    user = User.objects.create_user("bench@uni.example.edu", "x" * 12, full_name="Bench")
    licence = Licence.objects.create(
        reference="BENCH-1", dataset=dataset, license_version=version, signer=user,
        status=Licence.Status.ACTIVE,
    )  # fmt: skip
    licence.variants.set([variant])
    LicenceMember.objects.create(
        licence=licence, user=user, email=user.email, full_name="Bench",
        status=LicenceMember.Status.ACTIVE, accepted_at=timezone.now(),
        accepted_license_version=version,
    )  # fmt: skip
    entitlements_sync_for_licence(licence=licence, reason="bench")
    files = {f.path: f for f in variant.files.all()}
    from accord.core.storage import protected_storage

    storage = protected_storage()
    return {
        "token": api_token_create(user=user, name="bench").secret,
        "big": {"id": files["big.bin"].pk, "name": files["big.bin"].storage_name,
                "path": storage.path(files["big.bin"].storage_name),
                "size": files["big.bin"].size},
        "small": {"id": files["small.bin"].pk, "name": files["small.bin"].storage_name,
                  "size": files["small.bin"].size},
    }  # fmt: skip


def append_events(n: int) -> int:
    """Append ``n`` download events (as audit_record writes them) to the chain; returns the
    number of events in the chain."""
    from django.db import connection, transaction

    from accord.audit.keys import audit_key, mac_key
    from accord.audit.models import AuditHead, Event, EventPersonal
    from accord.audit.services import _personal_row, sealed_event

    key = mac_key(audit_key())
    head, _ = AuditHead.objects.get_or_create(id=1)
    seq, prev = head.seq, head.hash
    next_id = (Event.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    created = datetime(2026, 11, 1, tzinfo=UTC)
    events, personal = [], []
    for i in range(n):
        seq += 1
        row, commitment = _personal_row(
            EventPersonal.Role.ACTOR,
            7 + i % 500,
            email=f"researcher{i % 500}@uni.example.edu",
            ip_address=f"10.0.{i % 250}.{i % 200}",
            user_agent="accord-client/1.4 (python-httpx)",
        )
        event = sealed_event(
            key=key,
            seq=seq,
            prev_hash=prev,
            event_type="downloads:file:handoff",
            created=created,
            actor_id=7 + i % 500,
            target_type="catalog.datafile",
            target_id=str(100 + i % 1000),
            target_label=f"bench-files/part-{i % 1000:04d}.bin",
            custodian_id=1,
            dataset_id=1,
            licence_id=1 + i % 50,
            details={"link": 10_000 + i, "backend": "nginx", "range": f"bytes={i}-"},
            commitments={"actor": commitment},
        )
        event.id = next_id + i
        row.event_id = event.id
        prev = event.hash
        events.append(event)
        personal.append(row)
        if len(events) == 5000:
            with transaction.atomic():
                Event.objects.bulk_create(events)
                EventPersonal.objects.bulk_create(personal)
            events, personal = [], []
    with transaction.atomic():
        Event.objects.bulk_create(events)
        EventPersonal.objects.bulk_create(personal)
        AuditHead.objects.filter(id=1).update(seq=seq, hash=prev)
    if connection.vendor == "postgresql":
        # As autovacuum would after a bulk load: without statistics PostgreSQL plans the
        # verify query as a hash join and an on-disk sort.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return Event.objects.count()


def verify(n: int, rounds: int) -> dict:
    _django()
    from django.db import connection, transaction

    from accord.audit.journal import journal_check
    from accord.audit.models import Event, JournalEntry
    from accord.audit.verify import _raw_events, verify_chain

    total = append_events(n)
    sha256 = hashlib.sha256
    table = connection.ops.quote_name(Event._meta.db_table)

    from django.conf import settings

    workers = settings.AUDIT_VERIFY_WORKERS
    segments = []

    def walk(processes: int | None = None) -> float:
        """``accord audit verify``'s walk, in its default processes (or ``processes``)."""
        settings.AUDIT_VERIFY_WORKERS = processes or workers
        try:
            start = time.perf_counter()
            result = verify_chain()
            elapsed = time.perf_counter() - start
        finally:
            settings.AUDIT_VERIFY_WORKERS = workers
        if not result.ok or result.checked != total:
            raise SystemExit(f"audit verify failed on the bench chain: {result}")
        if processes is None:
            segments.append(result.segments)
        return elapsed

    def read_and_hash() -> float:
        """The floor of any verify that reads from the database: stream the payloads in
        chunks, hash each (no other column, no other check)."""
        start = time.perf_counter()
        with connection.chunked_cursor() as cursor:
            cursor.execute(f"SELECT payload FROM {table} ORDER BY seq")
            while rows := cursor.fetchmany(2000):
                for (payload,) in rows:
                    sha256(payload.encode("utf-8")).hexdigest()
        return time.perf_counter() - start

    payloads, inputs = _hashed_bytes()
    journal_inputs = _journal_hashed_bytes()
    journal_rows = JournalEntry.objects.count()
    size = sum(map(len, payloads))
    digest = methodcaller("digest")

    def journal_walk() -> float:
        """verify's check of the download journal alone (every row's MAC and columns, each
        sealed batch's Merkle root), which the walk above includes."""
        start = time.perf_counter()
        problems, _checked, _unsealed = journal_check()
        elapsed = time.perf_counter() - start
        if problems:
            raise SystemExit(f"the journal check failed on the bench portal: {problems[0]}")
        return elapsed

    def raw_journal() -> float:
        """sha256 over the bytes the journal check hashes, in memory."""
        start = time.perf_counter()
        b"".join(map(digest, map(sha256, journal_inputs)))
        return time.perf_counter() - start

    def raw() -> float:
        """sha256 over exactly the bytes verify hashes (every payload, both halves of every
        event's MAC, every personal commitment), in memory, each list iterated in C."""
        start = time.perf_counter()
        b"".join(map(digest, map(sha256, payloads)))
        b"".join(map(digest, map(sha256, inputs)))
        return time.perf_counter() - start

    def raw_payloads() -> float:
        """sha256 over the payloads only (the figure before issue #13, for comparison)."""
        start = time.perf_counter()
        for payload in payloads:
            sha256(payload).hexdigest()
        return time.perf_counter() - start

    def rows_only() -> float:
        """verify's own query streamed, with no check at all (its share of the walk)."""
        start = time.perf_counter()
        with transaction.atomic():
            for _ in _raw_events(1, None):
                pass
        return time.perf_counter() - start

    walks, ones, raws, raw_payload, floors, rows = [], [], [], [], [], []
    journals, raw_journals = [], []
    for _ in range(rounds):  # interleaved: the measurement, then its baselines
        walks.append(walk())
        ones.append(walk(1))
        journals.append(journal_walk())
        raw_journals.append(raw_journal())
        raws.append(raw())
        raw_payload.append(raw_payloads())
        floors.append(read_and_hash())
        rows.append(rows_only())
    # The chain's share of a walk: the whole walk less its journal check (timed alone).
    chain_s = max(min(walks) - min(journals), 1e-9)
    chain_one_s = max(min(ones) - min(journals), 1e-9)
    return {
        "database": connection.vendor,
        "events": total,
        "journal_rows": journal_rows,
        "journal_s": journals,
        "journal_rows_per_s": journal_rows / min(journals) if journal_rows else None,
        "raw_journal_rows_per_s": journal_rows / min(raw_journals) if journal_rows else None,
        "journal_share": min(journals) / min(walks),
        "raw_journal_s": raw_journals,
        "chain_events_per_s": total / chain_s,
        "chain_one_process_events_per_s": total / chain_one_s,
        "payload_bytes": size,
        "verify_s": walks,
        "raw_s": raws,
        "read_and_hash_s": floors,
        "verify_events_per_s": total / min(walks),
        "segments": max(segments),
        "verify_one_process_s": ones,
        "verify_one_process_events_per_s": total / min(ones),
        "raw_events_per_s": total / min(raws),
        "hashed_bytes": size + sum(map(len, inputs)),
        "raw_payloads_s": raw_payload,
        "raw_payloads_events_per_s": total / min(raw_payload),
        "read_and_hash_events_per_s": total / min(floors),
        "rows_only_s": rows,
        "rows_share": min(rows) / min(walks),
    }


def _journal_hashed_bytes() -> list[bytes]:
    """What verify's journal check hashes, byte for byte: each row's payload body and its
    MAC's two halves, its personal commitment, and a sealed row's Merkle leaf (the inner
    nodes are left out: a few per batch)."""
    from accord.audit.journal import _signed_body
    from accord.audit.keys import audit_key, mac_key
    from accord.audit.models import JournalEntry
    from accord.audit.services import canonical

    key = mac_key(audit_key()).ljust(64, b"\0")
    ipad, opad = bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)
    out = []
    rows = JournalEntry.objects.order_by("id").values_list(
        "id", "seal_seq", "payload", "salt", "ip_address", "user_agent"
    )
    for pk, seal_seq, payload, salt, address, agent in rows.iterator(chunk_size=5000):
        signed = _signed_body(payload)
        body = signed[0] if signed else payload
        digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
        inner = ipad + digest.encode("ascii")
        out += [body.encode("utf-8"), inner, opad + hashlib.sha256(inner).digest()]
        if salt:
            fields = {"email": "", "ip_address": address, "user_agent": agent}
            out.append(bytes.fromhex(salt) + canonical(fields))
        if seal_seq is not None:
            out.append(b"%d\n" % pk + payload.encode("ascii", "replace"))
    return out


def _hashed_bytes() -> tuple[list[bytes], list[bytes]]:
    """(payloads, the other inputs verify hashes: each event's MAC inner and outer input and
    each personal commitment's salt and fields), byte for byte as accord.audit.verify hashes
    them."""
    from accord.audit.keys import audit_key, mac_key
    from accord.audit.models import Event, EventPersonal
    from accord.audit.services import canonical

    key = mac_key(audit_key()).ljust(64, b"\0")
    ipad, opad = bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)
    payloads, inputs = [], []
    for payload, digest in Event.objects.order_by("seq").values_list("payload", "hash"):
        payloads.append(payload.encode("utf-8"))
        inner = ipad + digest.encode("ascii")
        inputs += [inner, opad + hashlib.sha256(inner).digest()]
    rows = EventPersonal.objects.filter(erased__isnull=True).values_list(
        "role", "salt", "email", "ip_address", "user_agent", "label"
    )
    for role, salt, email, address, agent, label in rows:
        fields = (
            {"email": email, "ip_address": address, "user_agent": agent}
            if role == "actor"
            else {"label": label}
        )
        inputs.append(bytes.fromhex(salt) + canonical(fields))
    return payloads, inputs


def profile_request(token: str, file_id: int, n: int) -> dict:
    """Where one authorisation request's time goes, measured in process (Django's test
    client, no HTTP): the whole request, the time inside the database driver, and the
    queries; against the minimal view."""
    _django()
    from django.db import connection
    from django.test import Client

    spent = {"db": 0.0, "queries": 0}

    def timed(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent["db"] += time.perf_counter() - start
            spent["queries"] += 1

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="localhost")
    link = urlsplit(client.post(f"/api/v1/downloads/files/{file_id}/link").json()["url"]).path
    out = {}
    for name, path in (("authorisation", link), ("minimal", "/bench/minimal/")):
        for _ in range(20):  # warm-up
            client.get(path)
        spent.update(db=0.0, queries=0)
        start = time.perf_counter()
        with connection.execute_wrapper(timed):
            for _ in range(n):
                response = client.get(path)
                if response.status_code not in (200, 206):
                    raise SystemExit(f"{path} answered {response.status_code}")
        total = time.perf_counter() - start
        out[name] = {
            "ms": total / n * 1000,
            "db_ms": spent["db"] / n * 1000,
            "queries": spent["queries"] / n,
        }
    out["database"] = connection.vendor
    return out


def main(argv: list[str]) -> None:
    if argv[:1] == ["setup"]:
        out = setup(Path(argv[1]), int(argv[2]))
    elif argv[:1] == ["verify"]:
        out = verify(int(argv[1]), int(argv[2]))
    elif argv[:1] == ["profile-request"]:
        out = profile_request(argv[1], int(argv[2]), int(argv[3]))
    else:
        raise SystemExit(__doc__)
    print("BENCH-JSON " + json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
