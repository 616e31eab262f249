"""Published licence terms cannot be edited, whichever way one tries: the service, the admin
or the API. Licences were granted under their exact words; a change is a new version."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.api.main import api
from accord.audit.models import Event
from accord.catalog.api import router as catalog_router
from accord.catalog.models import LicenseVersion
from accord.catalog.services_staff import ClauseText, licence_version_draft
from accord.core.errors import Conflict
from tests import factories

pytestmark = pytest.mark.django_db


def _words(version: LicenseVersion):
    version.refresh_from_db()
    clauses = [(c.code, c.title, c.text) for c in version.clauses.all()]
    return version.title, version.effective_date, version.status, clauses


def test_published_terms_refuse_every_edit(client, custodian, dataset):
    version = factories.LicenseVersionFactory(dataset=dataset, title="Licence agreement")
    clause = factories.ClauseFactory(license_version=version, code="C1", text="Original words.")
    before = _words(version)
    administrator = factories.StaffFactory(custodian=custodian, admin=True).user
    superuser = factories.UserFactory(is_superuser=True, is_staff=True)

    # The service.
    with pytest.raises(Conflict):
        licence_version_draft(
            dataset=dataset,
            version=version,
            actor=administrator,
            title="Rewritten",
            effective_date=dt.date(2024, 1, 1),
            clauses=[ClauseText("C1", "Anything goes", "Any use.")],
        )

    # The admin: change, delete, and the clause through the inline.
    client.force_login(superuser)
    url = f"/admin/catalog/licenseversion/{version.pk}/"
    changed = client.post(
        url + "change/",
        {
            "title": "Rewritten",
            "effective_date": "2024-01-01",
            "clauses-TOTAL_FORMS": "1",
            "clauses-INITIAL_FORMS": "1",
            "clauses-0-id": str(clause.pk),
            "clauses-0-license_version": str(version.pk),
            "clauses-0-code": "C1",
            "clauses-0-title": "Anything goes",
            "clauses-0-text": "Any use.",
            "clauses-0-enforcement": "attestation",
        },
    )
    deleted = client.post(url + "delete/", {"post": "yes"})
    assert (changed.status_code, deleted.status_code) == (403, 403)

    # The API, with every writing method, as the custodian's administrator.
    client.force_login(administrator)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = client.generic(
            method,
            f"/api/v1/datasets/{dataset.slug}",
            data='{"license": {"title": "Rewritten"}}',
            content_type="application/json",
        )
        assert response.status_code == 405, (method, response.status_code)

    assert _words(version) == before
    assert not Event.objects.filter(event_type__startswith="catalog:licence-version:").exists()


def test_the_api_has_no_way_to_write_datasets_or_their_terms():
    operations = [
        (path, set(op.methods))
        for bound in api._get_bound_routers()
        if bound.template is catalog_router
        for path, path_view in bound.path_operations.items()
        if path.startswith("/datasets")
        for op in path_view.operations
    ]
    assert operations  # the dataset endpoints are still where this test looks
    writers = [f"{methods} {path}" for path, methods in operations if methods - {"GET", "HEAD"}]
    assert writers == [], "A catalogue write in the API must go through catalog.services_staff"
