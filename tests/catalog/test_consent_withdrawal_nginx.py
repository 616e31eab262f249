"""A withdrawn subject's file is refused through the shipped nginx in front of a live Accord:
a link issued before the withdrawal, resumed after it, gets no byte through X-Accel-Redirect."""

from __future__ import annotations

import httpx
import pytest

from accord.accounts.services import api_token_create
from accord.catalog.services_staff import subject_withdraw
from tests import factories
from tests.access.factories import licence_for, variant_with_files
from tests.downloads.conftest import _no_proxy_env  # noqa: F401 - a fixture
from tests.downloads.liveserver import live_portal  # noqa: F401 - a fixture
from tests.downloads.test_nginx import (
    CONTENT,
    get,
    link,
    nginx,  # noqa: F401 - a fixture
)

pytestmark = [pytest.mark.nginx, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scenario(live_portal, tmp_path, settings):  # noqa: F811
    settings.SIGNING_KEY_FILE = tmp_path / "key.pem"
    dataset = factories.DatasetFactory(slug="smic")
    subject = factories.SubjectFactory(dataset=dataset, code="01")
    variant = variant_with_files(
        dataset,
        tmp_path,
        {"HS/s1/clip.bin": CONTENT, "README.txt": b"shared"},
        slug="smic-hs",
        name="SMIC-HS",
        subject_pattern=r"^HS/s(?P<subject>\d+)/",
        shared_pattern=r"^README\.txt$",
    )
    member = factories.UserFactory()
    licence = licence_for(variants=[variant], members=[member])
    token = api_token_create(user=member, name="t").secret
    manager = factories.StaffFactory(custodian=dataset.custodian, data_manager=True).user
    return {
        "licence": licence,
        "file": variant.files.get(path="HS/s1/clip.bin"),
        "token": token,
        "subject": subject,
        "manager": manager,
    }


def test_a_withdrawn_subjects_file_is_refused_through_nginx(nginx, scenario, live_portal):  # noqa: F811
    url = link(nginx, scenario)
    assert get(url, scenario, Range="bytes=0-1023").status_code == 206
    live_portal.settle()

    subject_withdraw(subject=scenario["subject"], actor=scenario["manager"], reason="Letter")

    refused = get(url, scenario, Range="bytes=1024-")
    assert refused.status_code == 403
    assert "no longer served" in refused.json()["detail"]
    assert "x-accel-redirect" not in refused.headers
    fresh = httpx.post(
        f"{nginx}/api/v1/downloads/files/{scenario['file'].pk}/link",
        headers={"Authorization": f"Bearer {scenario['token']}"},
    )
    assert fresh.status_code == 404
