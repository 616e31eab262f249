"""A licence with a term: its holders are reminded 30, 7 and 1 days before it expires (each
once however often the scheduler runs), downloads stop at expiry (links already issued
included), and the signer's renewal on the current terms gives access back."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from accord.audit.models import Event
from accord.core.errors import Conflict
from accord.licences.expiry import licence_renew
from accord.licences.models import Licence
from accord.notifications.models import ScheduledRun
from tests.access.factories import licence_for
from tests.downloads import conftest as downloads
from tests.downloads.conftest import issue

pytestmark = pytest.mark.django_db
variant = downloads.variant
member = downloads.member
signing_key_file = downloads.signing_key_file
_no_proxy_env = downloads._no_proxy_env


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def licence(clock, variant, member, signing_key_file):
    variant.dataset.licence_term_days = 365
    variant.dataset.save()
    return licence_for(
        variants=[variant], members=[member], expires_at=clock.now() + dt.timedelta(days=40)
    )


def schedule() -> None:
    call_command("schedule", stdout=io.StringIO())


def run_schedule_every_3_hours(clock, *, days: float) -> None:
    for _ in range(int(days * 8)):
        clock.advance(hours=3)
        schedule()


def reminder_subjects() -> list[str]:
    return sorted(m.subject for m in mail.outbox if "expires in" in m.subject)


def test_reminders_go_out_at_30_7_and_1_days_once_each_however_often_the_scheduler_runs(
    clock, licence, member
):
    run_schedule_every_3_hours(clock, days=39.5)  # until half a day before expiry
    ref = licence.reference
    for days in (30, 7, 1):
        wanted = f"Licence {ref} expires in {days} day" + ("s" if days > 1 else "")
        sent = [m for m in mail.outbox if m.subject.endswith(wanted)]
        assert sorted(m.to[0] for m in sent) == sorted([licence.signer.email, member.email])
    assert len(reminder_subjects()) == 6
    assert Event.objects.filter(event_type="agreements:licence:expiry_reminder").count() == 3
    assert ScheduledRun.objects.count() == 39 * 8 + 4


def test_access_ends_at_expiry_even_for_a_link_already_issued(client, clock, licence, member):
    data_file = variant_file(licence)
    link = issue(member, data_file)
    assert client.get(link).status_code == 200
    clock.advance(days=40, seconds=1)
    assert client.get(link).status_code in (403, 404, 410)  # refused before the scheduler runs
    schedule()
    licence.refresh_from_db()
    assert licence.status == Licence.Status.EXPIRED
    assert Event.objects.filter(event_type="agreements:licence:expire").count() == 1
    expired = [m for m in mail.outbox if m.subject.endswith("has expired")]
    assert sorted(m.to[0] for m in expired) == sorted([licence.signer.email, member.email])
    schedule()
    assert Event.objects.filter(event_type="agreements:licence:expire").count() == 1


def test_renewal_after_expiry_restores_downloads_on_the_current_terms(
    client, clock, licence, member
):
    data_file = variant_file(licence)
    clock.advance(days=45)
    schedule()
    assert client.get(issue_or_none(member, data_file) or "/nope").status_code != 200

    client.force_login(licence.signer)
    own_page = client.get(reverse("agreements:licence_detail", args=[licence.reference]))
    assert "This licence expired on" in own_page.content.decode()
    page = client.get(reverse("agreements:licence_renew", args=[licence.reference]))
    assert "Renew the licence" in page.content.decode()
    refused = client.post(
        reverse("agreements:licence_renew", args=[licence.reference]), {"terms_accepted": "on"}
    )
    assert refused.status_code == 200  # details not confirmed: the page says so, nothing saved
    licence.refresh_from_db()
    assert licence.status == Licence.Status.EXPIRED

    done = client.post(
        reverse("agreements:licence_renew", args=[licence.reference]),
        {"terms_accepted": "on", "details_confirmed": "on"},
    )
    assert done.status_code == 302
    licence.refresh_from_db()
    assert licence.status == Licence.Status.ACTIVE
    assert licence.expires_at == clock.now() + dt.timedelta(days=365)
    assert client.get(issue(member, data_file)).status_code == 200
    renew = Event.objects.get(event_type="agreements:licence:renew")
    assert renew.details["source"] == "expired"


def test_renewing_early_keeps_the_days_left_and_starts_new_reminders(clock, licence):
    clock.advance(days=35)
    schedule()  # the 30-day reminder
    old_expiry = licence.expires_at
    licence_renew(
        licence=licence, actor=licence.signer, details_confirmed=True, terms_accepted=True
    )
    licence.refresh_from_db()
    assert licence.expires_at == old_expiry + dt.timedelta(days=365)
    clock.travel(to=licence.expires_at - dt.timedelta(days=29))
    mail.outbox.clear()
    schedule()
    assert len(reminder_subjects()) == 2  # the new term's 30-day reminder, signer and member


def test_renewal_is_refused_too_early_and_after_the_grace_period(clock, licence):
    with pytest.raises(Conflict, match="can be renewed from"):
        licence_renew(
            licence=licence, actor=licence.signer, details_confirmed=True, terms_accepted=True
        )
    clock.advance(days=40 + 31)
    schedule()
    with pytest.raises(Conflict, match="can no longer be renewed"):
        licence_renew(
            licence=licence, actor=licence.signer, details_confirmed=True, terms_accepted=True
        )


def variant_file(licence):
    return licence.variants.get().files.get(path="small.txt")


def issue_or_none(user, data_file):
    from accord.core.errors import DomainError

    try:
        return issue(user, data_file)
    except DomainError:
        return None


def test_custodian_staff_set_the_licence_term_on_the_dataset_page_audited(client, custodian):
    from tests import factories

    dataset = factories.DatasetFactory(custodian=custodian)
    manager = factories.StaffFactory(custodian=custodian, role="admin").user
    client.force_login(manager)
    url = reverse("catalog:staff_dataset_edit", args=[dataset.slug])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v not in (None, False)}
    data.update({"licence_term_days": "730", "renewal_requires_signed_agreement": "on"})
    assert client.post(url, data).status_code == 302
    dataset.refresh_from_db()
    assert dataset.licence_term_days == 730
    assert dataset.renewal_requires_signed_agreement
    event = Event.objects.get(event_type="catalog:dataset:update")
    assert "licence_term_days" in str(event.details)
