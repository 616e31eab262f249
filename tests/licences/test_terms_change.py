"""A change of terms walked through moved time: staff publish new terms with the dataset's
notice; every holder is told; unanswered signers are reminded; one signer accepts (access goes
on under the new version), one opts out (access ends at once, deletion is requested, members
told), one does nothing (suspended on the effective date, accepts later, restored). Every step
is in the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from accord.access import policy
from accord.audit.models import Event
from accord.catalog.services_staff import ClauseText, licence_version_draft
from accord.core.errors import DomainError
from accord.licences.models import DeletionAttestation, Licence, TermsChange
from accord.licences.services_terms import (
    step_terms_effective,
    step_terms_reminders,
    terms_publish,
)
from tests import factories
from tests.access.factories import licence_for
from tests.downloads import conftest as downloads
from tests.roles import bearer

pytestmark = pytest.mark.django_db
variant = downloads.variant
signing_key_file = downloads.signing_key_file
_no_proxy_env = downloads._no_proxy_env


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def terms_admin(custodian):
    return factories.StaffFactory(custodian=custodian, role="admin").user


def _group(variant, name: str):
    signer = factories.UserFactory(full_name=f"{name} Signer")
    member = factories.UserFactory(full_name=f"{name} Member")
    return licence_for(variants=[variant], signer=signer, members=[member]), member


def _draft(dataset, actor, effective: dt.date):
    return licence_version_draft(
        dataset=dataset,
        actor=actor,
        title="Licence agreement",
        effective_date=effective,
        change_summary="Papers must now be sent before submission.",
        clauses=[
            ClauseText("C1", "No redistribution", "Do not share the data."),
            ClauseText("C2", "Papers", "Send every paper before you submit it."),
        ],
    )


def _emails(run) -> list:
    mail.outbox.clear()
    run()
    sent = list(mail.outbox)
    mail.outbox.clear()
    return sent


def test_terms_change_through_notice_reminders_accept_opt_out_and_lapse(
    client, clock, variant, terms_admin, django_capture_on_commit_callbacks
):
    clock.travel(to=dt.datetime(2030, 3, 1, 9, 0, tzinfo=dt.UTC))
    dataset = variant.dataset
    factories.ClauseFactory(
        license_version=factories.LicenseVersionFactory(dataset=dataset), code="C1"
    )
    accepting, accepting_member = _group(variant, "Ada")
    leaving, leaving_member = _group(variant, "Ben")
    silent, silent_member = _group(variant, "Cy")
    small = variant.files.get(path="small.txt")
    effective = dt.date(2030, 3, 31)

    too_soon = _draft(dataset, terms_admin, dt.date(2030, 3, 20))
    with pytest.raises(DomainError, match="30 days' notice"):
        terms_publish(version=too_soon, actor=terms_admin)
    version = licence_version_draft(
        dataset=dataset,
        actor=terms_admin,
        title=too_soon.title,
        effective_date=effective,
        change_summary=too_soon.change_summary,
        version=too_soon,
    )

    # Notice: every signer and every member, each in their own message.
    def publish():
        with django_capture_on_commit_callbacks(execute=True):
            terms_publish(version=version, actor=terms_admin)

    notices = _emails(publish)
    told = {m.to[0] for m in notices if "New terms" in m.subject}
    holders = [accepting, leaving, silent]
    assert told == {lic.signer.email for lic in holders} | {
        accepting_member.email,
        leaving_member.email,
        silent_member.email,
    }
    assert TermsChange.objects.filter(status="pending").count() == 3
    assert "accept them or opt out" in next(
        m.body for m in notices if m.to == [silent.signer.email]
    )

    # Reminders before the effective date, once each however often the scheduler runs.
    clock.travel(to=dt.datetime(2030, 3, 17, 9, 0, tzinfo=dt.UTC))

    def remind():
        with django_capture_on_commit_callbacks(execute=True):
            step_terms_reminders(now=clock.now())
            step_terms_reminders(now=clock.now())

    reminders = _emails(remind)
    assert sorted(m.to[0] for m in reminders) == sorted(lic.signer.email for lic in holders)
    assert _emails(remind) == []

    # One signer accepts on the page: the licence moves to the new terms, access goes on.
    client.force_login(accepting.signer)
    terms_page = reverse("agreements:licence_terms", args=[accepting.reference])
    page = client.get(terms_page)
    assert page.status_code == 200 and "Send every paper" in page.content.decode()
    client.post(terms_page, {"action": "accept", "agree": "1"})
    accepting.refresh_from_db()
    assert accepting.license_version == version and accepting.status == "active"
    assert policy.can_download(accepting_member, small)
    assert accepting.entitlements.filter(revoked_at__isnull=True, license_version=version)

    # One opts out through the API: void at once, members told, deletion requested.
    def opt_out():
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/api/v1/licences/{leaving.reference}/terms/opt-out", **bearer(leaving.signer)
            )
            assert response.status_code == 200, response.content
            assert response.json()["status"] == "void"

    client.logout()
    voided = _emails(opt_out)
    leaving.refresh_from_db()
    assert leaving.status == "void"
    assert not policy.can_download(leaving_member, small)
    assert not policy.can_download(leaving.signer, small)
    assert any(m.to == [leaving_member.email] and "void" in m.subject for m in voided)
    assert DeletionAttestation.objects.filter(
        licence=leaving, user=leaving.signer, reason="opt_out"
    ).exists()

    # The one who did nothing is suspended on the effective date.
    clock.travel(to=dt.datetime(2030, 3, 31, 0, 30, tzinfo=dt.UTC))
    with django_capture_on_commit_callbacks(execute=True):
        assert step_terms_effective(now=clock.now()) == 1
        assert step_terms_effective(now=clock.now()) == 0
    silent.refresh_from_db()
    assert silent.status == "suspended"
    assert not policy.can_download(silent_member, small)
    accepting.refresh_from_db()
    assert accepting.status == "active" and policy.can_download(accepting_member, small)

    # ... and accepts later (through the API): restored at once.
    response = client.post(
        f"/api/v1/licences/{silent.reference}/terms/accept", **bearer(silent.signer)
    )
    assert response.status_code == 200, response.content
    assert response.json()["license_version"] == version.version
    assert response.json()["pending_terms"] is None
    silent.refresh_from_db()
    assert silent.status == "active" and silent.license_version == version
    assert policy.can_download(silent_member, small)

    events = list(Event.objects.filter(event_type__startswith="agreements:licence:terms_"))
    by_type: dict[str, set[str]] = {}
    for event in events:
        by_type.setdefault(event.event_type, set()).add(event.details["licence"])
    refs = {lic.reference for lic in holders}
    assert by_type["agreements:licence:terms_notice"] == refs
    assert by_type["agreements:licence:terms_reminder"] == refs
    assert by_type["agreements:licence:terms_accept"] == {accepting.reference, silent.reference}
    assert by_type["agreements:licence:terms_opt_out"] == {leaving.reference}
    assert by_type["agreements:licence:terms_lapse"] == {silent.reference}
    assert Event.objects.filter(event_type="catalog:licence-version:publish").count() == 1
    assert Licence.objects.get(pk=leaving.pk).status == "void"


def test_signer_page_shows_pending_terms_only_to_the_signer(client, clock, variant, terms_admin):
    factories.LicenseVersionFactory(dataset=variant.dataset)
    licence, member = _group(variant, "Di")
    version = _draft(variant.dataset, terms_admin, clock.localdate() + dt.timedelta(days=30))
    terms_publish(version=version, actor=terms_admin)
    url = reverse("agreements:licence_terms", args=[licence.reference])

    client.force_login(member)
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "opt_out"}).status_code == 404
    assert Licence.objects.get(pk=licence.pk).status == "active"
    client.force_login(licence.signer)
    api = client.get(f"/api/v1/licences/{licence.reference}").json()
    assert api["pending_terms"]["license_version"] == version.version


def test_licence_pages_show_the_pending_terms_and_attestations(client, clock, variant, terms_admin):
    factories.LicenseVersionFactory(dataset=variant.dataset)
    licence, _ = _group(variant, "Eve")
    version = _draft(variant.dataset, terms_admin, clock.localdate() + dt.timedelta(days=30))
    terms_publish(version=version, actor=terms_admin)

    client.force_login(licence.signer)
    mine = client.get(reverse("agreements:licence_detail", args=[licence.reference]))
    assert 'id="pending-terms"' in mine.content.decode()
    client.force_login(terms_admin)
    staff_page = reverse("agreements:licence_staff_detail", args=[licence.reference])
    assert f"new terms version {version.version}" in client.get(staff_page).content.decode()
