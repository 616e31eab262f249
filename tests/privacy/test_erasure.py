"""A person erases their account's personal data: nothing of theirs is left in any table or
stored file, the audit chain still verifies, licences and decisions stay; a signer of a licence
in force is refused; the erasure is all or nothing, and only ever of oneself."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.urls import reverse

from accord.accounts import services_privacy
from accord.accounts.models import Erasure, User
from accord.accounts.services_privacy import ErasureRefused, account_erase
from accord.agreements.models import Application
from accord.audit.verify import verify_chain
from accord.licences.models import Licence
from tests import factories

pytestmark = pytest.mark.django_db

TEXT_TYPES = ("char", "text", "json", "clob", "varchar")


def _text_columns() -> list[tuple[str, list[str]]]:
    """Every table of every installed model (auto-created many-to-many tables too) with its
    text-like and JSON columns, read from the database's own description."""
    tables = sorted(
        {m._meta.db_table for m in apps.get_models(include_auto_created=True)}
        & set(connection.introspection.table_names())
    )
    found = []
    with connection.cursor() as cursor:
        for table in tables:
            columns = []
            for column in connection.introspection.get_table_description(cursor, table):
                kind = connection.introspection.get_field_type(column.type_code, column)
                if any(t in kind.lower() for t in TEXT_TYPES):
                    columns.append(column.name)
            if columns:
                found.append((table, columns))
    return found


def _database_holding(values: list[str]) -> list[str]:
    """Where in the database any of ``values`` appears (case-insensitive): "table.column"."""
    hits = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, columns in _text_columns():
            names = ", ".join(quote(c) for c in columns)
            # Table and column names come from the database's own catalogue, quoted.
            cursor.execute(f"SELECT {names} FROM {quote(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for column, cell in zip(columns, row, strict=True):
                    text = (str(cell) if cell is not None else "").lower()
                    # JSON on SQLite keeps non-ASCII as \\u escapes; our values are ASCII.
                    for value in values:
                        if value.lower() in text:
                            hits.append(f"{table}.{column}: {value}")
    return hits


def _storage_holding(values: list[str]) -> list[str]:
    hits = []
    for root in (django_settings.PROTECTED_ROOT, django_settings.MEDIA_ROOT):
        for path in sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else ():
            data = path.read_bytes().lower()
            for value in values:
                for encoded in (value.lower().encode(), value.lower().encode("utf-16-be")):
                    if encoded in data:
                        hits.append(f"{path}: {value}")
    return hits


def _agreement_files() -> list:
    root = django_settings.PROTECTED_ROOT / "agreements"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _erase(user):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return account_erase(user=user, actor=user)


def test_the_populated_database_holds_the_persons_values_before_erasure(world):
    """The search below finds what it looks for (so its silence after erasure means
    something)."""
    hits = _database_holding(world.tomasz_values())
    assert {h.split(": ", 1)[1] for h in hits} == set(world.tomasz_values())
    assert _agreement_files()


def test_after_erasure_no_personal_value_remains_in_any_table(world):
    _erase(world.tomasz)
    hits = _database_holding(world.tomasz_values())
    assert not hits, "\n".join(hits)


def test_after_erasure_the_documents_naming_the_person_are_gone_from_storage(world):
    sha = {a.sha256 for a in world.licence.application.signed_agreements.all()}
    _erase(world.tomasz)
    assert _agreement_files() == []
    assert _storage_holding(world.tomasz_values()) == []
    record = Erasure.objects.get(user=world.tomasz)
    assert sha <= {d["sha256"] for d in record.documents}  # tombstones keep the hashes


def test_after_erasure_the_audit_chain_verifies(world):
    _erase(world.tomasz)
    call_command("audit", "verify")  # raises CommandError on a broken chain
    assert verify_chain().ok


def test_after_erasure_others_keep_their_data_and_the_licence_stands(world):
    _erase(world.tomasz)
    assert _database_holding([world.greta.email, "REG-GO-1111", world.ada.email])
    licence = Licence.objects.get(pk=world.licence.pk)
    assert licence.status == Licence.Status.ACTIVE and licence.signer == world.ada
    assert set(licence.active_members()) == {world.ada, world.greta}
    refused = Application.objects.get(pk=world.refused.pk)
    assert refused.state == Application.State.REJECTED
    assert refused.signer_name == f"erased-user-{world.tomasz.pk}"


def test_erased_person_is_signed_out_and_cannot_sign_in(client, world):
    client.force_login(world.tomasz)
    response = client.post(
        reverse("accounts:personal_data_erase"),
        {"email": world.tomasz.email, "understood": "on"},
    )
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    user = User.objects.get(pk=world.tomasz.pk)
    assert user.email == f"erased-user-{user.pk}@erased.invalid" and not user.is_active
    for login in ("tomasz.quill@uni-example.edu", user.email):
        client.post(
            reverse("account_login"),
            {"login": login, "password": "correct horse battery staple"},
        )
        assert "_auth_user_id" not in client.session
    assert client.get(reverse("accounts:personal_data")).status_code == 302  # to sign in


def test_erasure_needs_the_typed_confirmation(client, world):
    client.force_login(world.tomasz)
    response = client.post(reverse("accounts:personal_data_erase"), {"email": "someone@else.org"})
    assert response.status_code == 400
    assert b"This is not your email address." in response.content
    assert not Erasure.objects.exists()


def test_signer_of_a_licence_in_force_is_refused_with_what_to_do(client, world):
    with pytest.raises(ErasureRefused) as refused:
        account_erase(user=world.ada, actor=world.ada)
    assert world.licence.reference in refused.value.message
    assert "Close it first" in refused.value.message
    client.force_login(world.ada)
    page = client.get(reverse("accounts:personal_data"))
    assert world.licence.reference.encode() in page.content
    assert b"Erase my personal data</button>" not in page.content
    response = client.post(
        reverse("accounts:personal_data_erase"),
        {"email": world.ada.email, "understood": "on"},
        follow=True,
    )
    assert world.licence.reference.encode() in response.content
    assert User.objects.get(pk=world.ada.pk).email == world.ada.email


def test_erasure_is_idempotent(world):
    first = _erase(world.tomasz)
    second = _erase(User.objects.get(pk=world.tomasz.pk))
    assert first.pk == second.pk and Erasure.objects.count() == 1
    assert verify_chain().ok


def test_a_failure_midway_leaves_nothing_erased(world, monkeypatch):
    before = _database_holding(world.tomasz_values())
    files = _agreement_files()

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services_privacy, "personal_data_erase", broken)
    with pytest.raises(RuntimeError):
        _erase(world.tomasz)
    assert _database_holding(world.tomasz_values()) == before
    assert _agreement_files() == files
    assert User.objects.get(pk=world.tomasz.pk).is_active


def test_nobody_can_erase_someone_else_from_the_site(client, world):
    """The page acts only on the signed-in person: Greta typing Tomasz's address is refused."""
    client.force_login(world.greta)
    response = client.post(
        reverse("accounts:personal_data_erase"),
        {"email": world.tomasz.email, "understood": "on"},
    )
    assert response.status_code == 400
    assert User.objects.get(pk=world.tomasz.pk).is_active
    assert User.objects.get(pk=world.greta.pk).is_active


def test_custodian_staff_see_the_erasure_without_the_erased_data(client, world, custodian):
    _erase(world.tomasz)
    client.force_login(world.reviewer)
    page = client.get(reverse("accounts:erasures"))
    assert page.status_code == 200
    assert f"erased-user-{world.tomasz.pk}".encode() in page.content
    assert b"tomasz" not in page.content.lower()
    # Staff of a custodian the person never dealt with see nothing of it.
    client.force_login(factories.StaffFactory(custodian=custodian).user)
    page = client.get(reverse("accounts:erasures"))
    assert f"erased-user-{world.tomasz.pk}".encode() not in page.content
    client.force_login(world.greta)
    assert client.get(reverse("accounts:erasures")).status_code == 404


def test_erasure_blanks_their_download_journal_rows_and_the_sealed_batches_verify(world):
    from accord.audit.journal import journal_seal
    from accord.audit.models import JournalEntry
    from tests.privacy.conftest import TOMASZ_IP

    theirs = JournalEntry.objects.filter(actor_id=world.tomasz.pk)
    assert theirs.filter(ip_address=TOMASZ_IP).exists()
    assert not theirs.filter(payload__contains=TOMASZ_IP).exists()  # only a commitment
    others = set(JournalEntry.objects.exclude(actor_id=world.tomasz.pk).values_list("payload"))
    named = set(theirs.exclude(salt="").values_list("pk", flat=True))
    assert journal_seal() == JournalEntry.objects.count()
    _erase(world.tomasz)
    assert set(theirs.values_list("salt", "ip_address", "user_agent")) == {("", "", "")}
    assert set(theirs.exclude(erased=None).values_list("pk", flat=True)) == named
    assert set(JournalEntry.objects.exclude(actor_id=world.tomasz.pk).values_list("payload")) == (
        others
    )
    result = verify_chain()
    assert result.ok and result.journal_rows == JournalEntry.objects.count(), result
