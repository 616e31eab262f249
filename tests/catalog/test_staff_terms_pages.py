"""Custodian staff with the terms permission draft the next version of a dataset's terms in
the portal (clauses as rows), see it clause by clause against the current version, and
publish it with the dataset's notice; everyone else is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accord.catalog.models import LicenseVersion
from accord.licences.models import TermsChange
from tests import factories
from tests.access.factories import licence_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(custodian):
    return factories.StaffFactory(custodian=custodian, role="admin").user


@pytest.fixture
def current(dataset):
    version = factories.LicenseVersionFactory(dataset=dataset)
    factories.ClauseFactory(license_version=version, code="C1", title="Old", text="Old text.")
    factories.ClauseFactory(license_version=version, code="C2", title="Gone", text="Dropped.")
    return version


def _rows(*rows):
    data = {f"clause_{f}": [] for f in ("code", "title", "text", "enforcement", "how_enforced")}
    for code, title, text in rows:
        data["clause_code"].append(code)
        data["clause_title"].append(title)
        data["clause_text"].append(text)
        data["clause_enforcement"].append("attestation")
        data["clause_how_enforced"].append("")
    return data


def test_admin_drafts_sees_the_diff_and_publishes_with_notice(client, admin, dataset, current):
    licence = licence_for(variants=[factories.VariantFactory(dataset=dataset)])
    url = reverse("catalog:staff_terms", args=[dataset.slug])
    client.force_login(admin)
    soon = dt.date.today() + dt.timedelta(days=5)

    client.post(
        url,
        {
            "title": "Licence agreement",
            "effective_date": soon.isoformat(),
            "change_summary": "Clause C1 reworded.",
            **_rows(("C1", "Old", "New text."), ("C3", "Added", "A new rule.")),
        },
    )
    draft = LicenseVersion.objects.get(dataset=dataset, status="draft")
    page = client.get(url).content.decode()
    assert 'class="clause changed"' in page and 'class="clause added"' in page
    assert 'class="clause removed"' in page

    publish = reverse("catalog:staff_terms_publish", args=[dataset.slug])
    refused = client.post(publish, follow=True).content.decode()
    assert "days&#x27; notice" in refused or "days' notice" in refused
    assert LicenseVersion.objects.get(pk=draft.pk).status == "draft"

    later = dt.date.today() + dt.timedelta(days=dataset.notice_days + 1)
    client.post(
        url,
        {
            "title": "Licence agreement",
            "effective_date": later.isoformat(),
            **_rows(
                ("C1", "Old", "New text."),
            ),
        },
    )
    done = client.post(publish, follow=True).content.decode()
    assert "is published" in done
    assert LicenseVersion.objects.get(pk=draft.pk).status == "published"
    assert TermsChange.objects.get(licence=licence).license_version_id == draft.pk


def test_staff_without_the_terms_permission_get_404(client, dataset, current, custodian):
    data_manager = factories.StaffFactory(custodian=custodian, data_manager=True).user
    client.force_login(data_manager)

    assert client.get(reverse("catalog:staff_terms", args=[dataset.slug])).status_code == 404
    publish = reverse("catalog:staff_terms_publish", args=[dataset.slug])
    assert client.post(publish).status_code == 404


def test_another_custodians_admin_cannot_see_our_terms(client, dataset, current, other_custodian):
    theirs = factories.StaffFactory(custodian=other_custodian, role="admin").user
    client.force_login(theirs)

    assert client.get(reverse("catalog:staff_terms", args=[dataset.slug])).status_code == 404
