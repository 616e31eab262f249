"""The custodian staff overview: applications waiting and for how long, signers silent for N
days (with a new link), licences ending within 30 days, new terms not yet accepted and deletion
confirmations owed, for the staff's own custodian only, at a constant number of queries."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accord.agreements.models import Application
from accord.licences.models import DeletionAttestation, TermsChange
from tests import factories
from tests.access.factories import licence_for
from tests.agreements.factories import submitted

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("overview:dashboard")
_refs = itertools.count(1)


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def variant(dataset):
    return factories.VariantFactory(dataset=dataset, slug="smic-hs", name="SMIC-HS")


def _application(dataset, *, submitted_at, confirmed=False, signer="prof@uni-example.edu"):
    return Application.objects.create(
        reference=f"APP-DASH-{next(_refs):04d}",
        dataset=dataset,
        license_version=dataset.license_versions.first()
        or factories.LicenseVersionFactory(dataset=dataset),
        applicant=factories.UserFactory(),
        state=Application.State.SUBMITTED,
        signer_name="Prof Silent",
        signer_email=signer,
        signer_confirmed_at=submitted_at if confirmed else None,
        signer_confirmed_email=signer if confirmed else "",
        submitted_at=submitted_at,
    )


def _scenario(dataset, variant, now, *, n: int = 1):
    """``n`` of each kind of row the overview shows, for ``dataset``."""
    v2 = dataset.license_versions.filter(version=2).first() or factories.LicenseVersionFactory(
        dataset=dataset, version=2, effective_date=(now + dt.timedelta(days=30)).date()
    )
    for _ in range(n):
        _application(dataset, submitted_at=now - dt.timedelta(days=10))
        soon = licence_for(variants=[variant], expires_at=now + dt.timedelta(days=12))
        TermsChange.objects.create(
            licence=soon, license_version=v2, previous_version=soon.license_version
        )
        DeletionAttestation.objects.create(
            licence=soon,
            user=soon.signer,
            reason=DeletionAttestation.Reason.REVOKED,
            due_at=now - dt.timedelta(days=1),
        )


def test_staff_see_what_is_waiting_and_for_how_long(client, clock, staff, dataset, variant):
    now = clock.now()
    _scenario(dataset, variant, now)
    _application(dataset, submitted_at=now - dt.timedelta(days=2), signer="fresh@uni-example.edu")
    licence_for(variants=[variant], expires_at=now + dt.timedelta(days=90), signer=None)
    client.force_login(staff)

    page = client.get(OVERVIEW).content.decode()

    waiting = page.split('id="waiting"')[1].split("</section>")[0]
    assert waiting.count('class="application"') == 2 and "1\xa0week, 3\xa0days ago" in waiting
    unconfirmed = page.split('id="unconfirmed"')[1].split("</section>")[0]
    # Silent for 10 days shows at the default 7; the one asked 2 days ago does not.
    assert "prof@uni-example.edu" in unconfirmed and "fresh@uni-example.edu" not in unconfirmed
    expiring = page.split('id="expiring"')[1].split("</section>")[0]
    assert expiring.count('class="expiring"') == 1 and "in 1\xa0week, 5\xa0days" in expiring
    terms = page.split('id="terms"')[1].split("</section>")[0]
    assert terms.count('class="terms-change"') == 1 and "version 2" in terms
    owed = page.split('id="attestations"')[1].split("</section>")[0]
    assert owed.count('class="attestation"') == 1 and "overdue" in owed


def test_the_silent_signer_threshold_is_chosen_in_days(client, clock, staff, dataset):
    _application(dataset, submitted_at=clock.now() - dt.timedelta(days=3))
    client.force_login(staff)

    assert (
        "prof@uni-example.edu"
        not in client.get(OVERVIEW)
        .content.decode()
        .split('id="unconfirmed"')[1]
        .split("</section>")[0]
    )
    shown = client.get(OVERVIEW, {"days": "2"}).content.decode()
    assert "prof@uni-example.edu" in shown.split('id="unconfirmed"')[1]
    assert client.get(OVERVIEW, {"days": "soon"}).status_code == 200  # bad input: the default


def test_a_reviewer_resends_the_signer_link_from_the_overview(
    client, clock, student, casmemg, ipcas_reviewer, django_capture_on_commit_callbacks
):
    application = submitted(student, casmemg)
    clock.advance(days=8)
    client.force_login(ipcas_reviewer)
    page = client.get(OVERVIEW).content.decode()
    resend = reverse("agreements:review_resend_signer_link", args=[application.reference])
    assert f'action="{resend}"' in page
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(resend)

    assert [m.to for m in mail.outbox] == [[application.signer_email]]


def test_another_custodians_staff_see_nothing_of_ours(client, clock, other_staff, dataset, variant):
    _scenario(dataset, variant, clock.now())
    client.force_login(other_staff)

    page = client.get(OVERVIEW).content.decode()

    for row in ('class="application"', 'class="expiring"', 'class="terms-change"'):
        assert row not in page
    assert 'class="unconfirmed"' not in page and 'class="attestation"' not in page
    assert "LIC-TEST" not in page and "APP-DASH" not in page


@pytest.mark.parametrize("who", ["anonymous", "outsider", "member"])
def test_people_who_are_not_staff_get_no_overview(client, who, outsider, member):
    if who != "anonymous":
        client.force_login(outsider if who == "outsider" else member)
    response = client.get(OVERVIEW)
    assert response.status_code in (302, 404)
    assert response.status_code == 404 or "/accounts/login/" in response["Location"]


def test_staff_find_the_overview_in_the_navigation(client, staff, member):
    client.force_login(staff)
    assert f'href="{OVERVIEW}"' in client.get("/datasets/").content.decode()
    client.force_login(member)
    assert f'href="{OVERVIEW}"' not in client.get("/datasets/").content.decode()


def test_the_overview_costs_the_same_queries_for_1_or_8_of_each(
    client, clock, staff, dataset, variant, django_assert_max_num_queries
):
    now = clock.now()
    _scenario(dataset, variant, now, n=1)
    client.force_login(staff)
    client.get(OVERVIEW)  # warm the session and the per-request caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(OVERVIEW).status_code == 200
    _scenario(dataset, variant, now, n=7)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(OVERVIEW).content.decode()
    assert page.count('class="expiring"') == 8
