"""A change of terms in real Chromium: a custodian admin signs in (password, then the
authenticator code), rewords a clause and adds one on the dataset's Terms page, reads the
clause-by-clause diff, sets an effective date past the dataset's notice and publishes; the
signer of the licence sees the notice on the licence page, reads the changed clauses, ticks
and accepts; the licence is then on the new version, and the audit trail shows the publish,
the notice and the acceptance. Each step is screenshotted."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core import mail
from playwright.sync_api import expect

from accord.agreements import services
from accord.licences.models import Licence
from tests import factories
from tests.agreements.factories import policy_dataset, signer_confirms, signer_user, submitted
from tests.e2e.conftest import FACTORY_PASSWORD, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Rendering and scanning the agreement, and the first page loads, can be slow on a busy machine.
SLOW = 60_000


@pytest.fixture(autouse=True)
def _fresh_cache():
    # allauth remembers used authenticator codes in the cache; user ids repeat between tests.
    from django.core.cache import cache

    cache.clear()


def totp_now() -> str:
    return format_hotp_value(hotp_value(factories.TEST_TOTP_SECRET, int(time.time()) // 30))


def enter_authenticator_code(page) -> None:
    """The server accepts only the current 30-second window's code: one read at the end of a
    window can arrive in the next on a busy machine, so a refused code is tried once more."""
    for _ in range(2):
        with page.expect_navigation():
            page.fill('input[name="code"]', totp_now())
            page.press('input[name="code"]', "Enter")
        if "/2fa/authenticate/" not in page.url:
            return


def approved_licence(dataset, reviewer) -> Licence:
    """A licence made the way people make one: the student applies with the signed scan, the
    professor confirms through the emailed link, the reviewer approves."""
    student = factories.UserFactory(email="sam@uni-example.edu", full_name="Sam Student")
    application = submitted(student, dataset)
    signer_confirms(application, signer_user())
    services.application_decide(application=application, actor=reviewer, decision="approve")
    return Licence.objects.get(dataset=dataset)


def age_sign_in(page, seconds: int) -> None:
    """As if the person in ``page`` had signed in ``seconds`` earlier."""
    from importlib import import_module

    from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY

    cookie = next(c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=cookie["value"])
    records = session[AUTHENTICATION_METHODS_SESSION_KEY]
    for record in records:
        record["at"] -= seconds
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()


def test_staff_publish_new_terms_and_the_signer_accepts_them(browser_as, shots):
    ipcas = factories.CustodianFactory(slug="ipcas", short_name="IP-CAS", name="IP-CAS")
    dataset = policy_dataset(ipcas, slug="casmemg", short_name="CASMEMG")
    reviewer = factories.StaffFactory(custodian=ipcas).user
    admin = factories.StaffFactory(
        custodian=ipcas, admin=True, user__email="terms@ipcas.example.org"
    ).user
    licence = approved_licence(dataset, reviewer)
    professor = licence.signer
    assert licence.license_version.version == 1
    effective = dt.date.today() + dt.timedelta(days=dataset.notice_days + 5)

    # 1. The admin signs in with the password and the authenticator code.
    staff = browser_as()
    staff.goto("/accounts/login/", timeout=SLOW)
    sign_in(staff, admin.email)
    expect(staff.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    enter_authenticator_code(staff)
    expect(staff.get_by_role("link", name="Audit trail")).to_be_visible()

    # 2. Through the catalogue to the dataset's Terms page.
    staff.get_by_role("link", name="Catalogue").click()
    catalogue = staff.get_by_text("publish each dataset's licence terms on its Terms page")
    expect(catalogue).to_be_visible()
    staff.get_by_role("link", name="CASMEMG database").click()
    staff.get_by_role("link", name="Terms", exact=True).click()
    expect(staff.get_by_role("heading", name="Terms of CASMEMG database")).to_be_visible()
    expect(staff.locator("#versions")).to_contain_text("Version 1: CASMEMG LA (Published")
    expect(staff.get_by_role("heading", name="Draft the next version")).to_be_visible()
    shots(staff, "staff-terms-page")

    # 3. Reword C1, add C7, date it past the notice, save the draft and read the diff.
    rows = staff.locator("#clauses tbody tr")
    c1 = rows.filter(has=staff.locator("input[name='clause_code'][value='C1']"))
    c1.get_by_label("Text").fill("The data may not be used commercially, nor to train products.")
    blank = rows.nth(3)  # after C1, C3 and C6: the first empty row
    blank.get_by_label("Code").fill("C7")
    blank.get_by_label("Title", exact=True).fill("Papers")
    blank.get_by_label("Text").fill("Send every paper to IP-CAS before you submit it.")
    staff.fill("#effective_date", effective.isoformat())
    staff.fill("#change_summary", "C1 also rules out training products; new clause C7.")
    staff.click("#save-draft")
    expect(staff.get_by_text("The draft is saved.")).to_be_visible()
    expect(staff.get_by_role("heading", name="Draft of version 2")).to_be_visible()
    diff = staff.locator("#diff")
    expect(diff.get_by_role("heading", name="Changes against version 1")).to_be_visible()
    changed = diff.locator("tr.clause", has_text="C1")
    expect(changed).to_contain_text("changed")
    expect(changed).to_contain_text("nor to train products")
    expect(diff.locator("tr.clause", has_text="C7")).to_contain_text("new")
    expect(diff.locator("tr.clause", has_text="C3")).to_contain_text("unchanged")
    shots(staff, "staff-draft-diff")

    # 4. The admin was away longer than a sensitive action allows: publishing asks to confirm,
    # then for the sign-in again, and then goes through.
    age_sign_in(staff, settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 60)
    staff.once("dialog", lambda dialog: dialog.accept())
    staff.click("#publish-terms")
    expect(staff.get_by_role("heading", name="Confirm Access")).to_be_visible()
    shots(staff, "staff-asked-to-sign-in-again")
    staff.get_by_label("Password").fill(FACTORY_PASSWORD)
    staff.get_by_role("button", name="Confirm").click()
    expect(staff.get_by_text("Version 2 is published")).to_be_visible()
    expect(staff.locator("#versions")).to_contain_text(
        f"Version 2: CASMEMG LA (Published, effective {effective.isoformat()})"
    )
    shots(staff, "staff-published")
    assert any(professor.email in m.to and "New terms" in m.subject for m in mail.outbox), (
        "the signer was not emailed the notice"
    )

    # 5. The signer signs in and finds the notice on the licence page.
    prof = browser_as()
    prof.goto("/accounts/login/", timeout=SLOW)
    sign_in(prof, professor.email)
    prof.goto("/apply/")
    prof.get_by_role("link", name=licence.reference).click()
    notice = prof.locator("#pending-terms")
    expect(notice).to_contain_text("New terms (version 2) apply from")
    expect(notice).to_contain_text("accept them or opt out")
    shots(prof, "signer-licence-notice")

    # 6. The terms page shows what changed; the signer ticks and accepts.
    notice.get_by_role("link", name="Read and answer").click()
    expect(prof.get_by_role("heading", name=re.compile("New terms, version 2"))).to_be_visible()
    expect(prof.locator("#current-terms")).to_contain_text("On terms version 1")
    change = prof.locator("#terms-change")
    expect(change).to_contain_text("C1 also rules out training products")
    expect(change.locator("tr.clause", has_text="C1")).to_contain_text("nor to train products")
    expect(change.locator("tr.clause", has_text="C7")).to_contain_text("Send every paper")
    shots(prof, "signer-reads-new-terms")
    prof.click("#accept")  # without the tick: refused, with what to do
    expect(prof.get_by_text("Tick the box to accept the new terms")).to_be_visible()
    prof.check("#agree")
    prof.click("#accept")
    expect(prof.get_by_text("You accepted the new terms")).to_be_visible()
    expect(prof.locator("#current-terms")).to_contain_text("On terms version 2 · Active")
    expect(prof.get_by_text("No change of terms is waiting for your answer.")).to_be_visible()
    shots(prof, "signer-accepted")

    # 7. The licence page is on the new version and no longer asks.
    prof.goto(f"/apply/licences/{licence.reference}/")
    expect(prof.locator("p.lead")).to_contain_text("terms version 2")
    expect(prof.locator("#pending-terms")).to_have_count(0)
    shots(prof, "signer-licence-on-new-terms")

    # 8. The admin finds the publish, the notice and the acceptance in the audit trail.
    staff.get_by_role("link", name="Audit trail").click()
    staff.get_by_label("Dataset").select_option(label="CASMEMG")
    staff.get_by_role("button", name="Filter").click()
    trail = staff.locator("table.audit")
    expect(trail).to_contain_text("catalog:licence-version:publish")
    expect(trail).to_contain_text("agreements:licence:terms_notice")
    expect(trail).to_contain_text("agreements:licence:terms_accept")
    accepted = trail.locator("tr", has_text="agreements:licence:terms_accept")
    expect(accepted).to_contain_text(professor.email)
    shots(staff, "staff-audit-trail")
