"""A download link replayed: after its journal rows were sealed into the chain, after access
ended, after it expired, and from someone else's browser session or API token. Each refusal
says the same clear thing it did before the journal existed, and serves nothing: no byte
leaves and no serve row is journalled."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from accord.accounts.services import api_token_create
from accord.audit.journal import journal_seal
from accord.audit.models import Event, JournalEntry
from accord.downloads import services
from accord.downloads.models import SERVED_EVENTS, DownloadLink
from tests import factories
from tests.access.factories import revoke_licence
from tests.downloads.conftest import BIG, body, issue_bound

pytestmark = pytest.mark.django_db

NOT_HERE = "This download link is not valid here."
ENDED = "Your access to this file has ended, so this link no longer works."
EXPIRED = "This download link has expired (links last"


@pytest.fixture(autouse=True)
def _unsealed(monkeypatch):
    """No worker: the test seals the journal itself (``journal_seal``) where it matters."""
    monkeypatch.setattr("accord.audit.journal._seal_soon", lambda: None)


def _session_link(user, data_file) -> str:
    return services.download_link_issue(
        user=user,
        file_id=data_file.pk,
        channel=DownloadLink.Channel.WEB,
        binding=DownloadLink.Binding.SESSION,
    ).path


def _served() -> int:
    return JournalEntry.objects.filter(event_type__in=SERVED_EVENTS).count()


def _refused(response, status: int, message: str) -> None:
    """Refused with ``message``, and not a byte of the file in the answer."""
    assert response.status_code == status
    assert not response.streaming
    assert BIG[:16] not in response.content
    assert message in response.json()["detail"]


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_live_link_still_resumes_after_its_journal_rows_were_sealed(licence, member, big_file):
    """Sealing is bookkeeping, not a use: the link serves the rest until it expires."""
    client = _logged_in(member)
    link = _session_link(member, big_file)
    assert body(client.get(link, HTTP_RANGE="bytes=0-9")) == BIG[:10]
    assert journal_seal() == 2  # the issue and the served range
    assert not JournalEntry.objects.filter(seal_seq__isnull=True).exists()
    assert body(client.get(link, HTTP_RANGE="bytes=10-19")) == BIG[10:20]
    assert _served() == 2


def test_a_link_revoked_after_its_rows_were_sealed_is_refused_and_serves_nothing(
    licence, member, big_file
):
    client = _logged_in(member)
    link = _session_link(member, big_file)
    assert body(client.get(link, HTTP_RANGE="bytes=0-9")) == BIG[:10]
    journal_seal()
    revoke_licence(licence, reason="breach")
    _refused(client.get(link, HTTP_RANGE="bytes=10-19"), 403, ENDED)
    assert _served() == 1
    assert Event.objects.filter(event_type="downloads:file:refuse").last().details["reason"] == (
        "revoked"
    )


def test_a_link_expired_after_its_rows_were_sealed_is_refused_and_serves_nothing(
    licence, member, big_file, clock
):
    client = _logged_in(member)
    link = _session_link(member, big_file)
    assert body(client.get(link, HTTP_RANGE="bytes=0-9")) == BIG[:10]
    journal_seal()
    clock.advance(seconds=settings.DOWNLOAD_LINK_TTL + 1)
    response = client.get(link, HTTP_RANGE="bytes=10-19")
    _refused(response, 410, EXPIRED)
    assert "`accord fetch` resumes where it stopped" in response.json()["detail"]
    assert _served() == 1


def test_an_expired_link_is_refused_on_the_browser_page_too(licence, member, big_file, clock):
    client = _logged_in(member)
    link = _session_link(member, big_file)
    clock.advance(seconds=settings.DOWNLOAD_LINK_TTL + 1)
    response = client.get(link, HTTP_ACCEPT="text/html")
    assert response.status_code == 410
    assert EXPIRED in response.content.decode()
    assert _served() == 0


def test_a_revoked_link_is_refused_before_the_expiry_is_even_looked_at(
    licence, member, big_file, clock
):
    """Expired and revoked: the expiry is said (it is what the holder can act on), nothing
    is served either way."""
    client = _logged_in(member)
    link = _session_link(member, big_file)
    revoke_licence(licence, reason="breach")
    clock.advance(seconds=settings.DOWNLOAD_LINK_TTL + 1)
    _refused(client.get(link), 410, EXPIRED)
    assert _served() == 0


def test_a_link_has_no_use_limit_only_its_lifetime(licence, member, big_file, clock):
    """Links are not counted down: a resumed download asks for range after range with the
    same link until it expires (``DOWNLOAD_LINK_TTL``); that is the bound on replay."""
    client = _logged_in(member)
    link = _session_link(member, big_file)
    for start in range(0, 100, 10):
        assert (
            body(client.get(link, HTTP_RANGE=f"bytes={start}-{start + 9}"))
            == (BIG[start : start + 10])
        )
    assert _served() == 10
    clock.advance(seconds=settings.DOWNLOAD_LINK_TTL + 1)
    _refused(client.get(link, HTTP_RANGE="bytes=100-109"), 410, EXPIRED)
    assert _served() == 10


def test_a_session_link_replayed_in_another_users_session_is_refused_like_an_unknown_one(
    licence, member, big_file
):
    link = _session_link(member, big_file)
    unknown = Client().get("/downloads/d/" + "x" * 43 + "/")
    other = factories.UserFactory()
    for client in (_logged_in(other), _logged_in(licence.signer), Client()):
        response = client.get(link, HTTP_RANGE="bytes=0-9")
        _refused(response, 404, NOT_HERE)
        assert response.json() == unknown.json()
    assert _served() == 0
    refusals = Event.objects.filter(
        event_type="downloads:file:refuse", details__reason="not-link-holder"
    )
    assert refusals.count() == 3


def test_a_token_link_replayed_with_another_users_token_is_refused(licence, member, big_file):
    link, _auth = issue_bound(member, big_file)
    other = factories.UserFactory()
    theirs = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=other, name='t').secret}"}
    _refused(Client().get(link, **theirs), 404, NOT_HERE)
    _refused(Client().get(link), 404, NOT_HERE)
    assert _served() == 0


def test_a_token_link_replayed_with_another_token_of_the_same_user_is_refused(
    licence, member, big_file
):
    link, auth = issue_bound(member, big_file)
    mine = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=member, name='b').secret}"}
    _refused(Client().get(link, **mine), 404, NOT_HERE)
    assert body(Client().get(link, HTTP_RANGE="bytes=0-9", **auth)) == BIG[:10]


def test_a_token_link_replayed_in_the_holders_browser_session_is_refused(licence, member, big_file):
    """The same person, the wrong credential: a token-bound link needs the token."""
    link, _auth = issue_bound(member, big_file)
    _refused(_logged_in(member).get(link), 404, NOT_HERE)
    assert _served() == 0


def test_a_session_link_replayed_with_the_holders_api_token_is_refused(licence, member, big_file):
    link = _session_link(member, big_file)
    mine = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=member, name='b').secret}"}
    _refused(Client().get(link, **mine), 404, NOT_HERE)
    assert _served() == 0


def test_a_deactivated_holder_cannot_replay_their_own_link(licence, member, big_file):
    client = _logged_in(member)
    link = _session_link(member, big_file)
    type(member).objects.filter(pk=member.pk).update(is_active=False)
    response = client.get(link)
    assert response.status_code in (302, 403, 404)
    assert not response.streaming and BIG[:16] not in response.content
    assert _served() == 0
