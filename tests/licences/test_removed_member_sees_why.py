"""A member removed by their signer sees that access ended and why, not "no access yet"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accord.agreements import services
from accord.licences import services as licences
from accord.licences.models import Licence
from tests import factories

# ruff: noqa: F811 -- the agreements fixtures are imported and then requested by name.
from tests.agreements.conftest import casmemg, ipcas_reviewer, professor, student  # noqa: F401
from tests.agreements.factories import signer_confirms, submitted

pytestmark = pytest.mark.django_db


def test_removed_member_sees_access_ended(client, student, professor, casmemg, ipcas_reviewer):
    application = submitted(student, casmemg)
    signer_confirms(application, professor)
    services.application_decide(decision="approve", application=application, actor=ipcas_reviewer)
    licence = Licence.objects.get()
    member = licence.members.get()
    sam = factories.UserFactory(email=member.email, full_name="Sam Student")
    extra = {key: "REG-0007" for key in ("registration_id",)}
    licences.licence_member_accept(member=member, actor=sam, extra=extra)
    client.force_login(sam)
    html = client.get(reverse("access:my_access")).content.decode()
    assert "no end date" in html

    licences.licence_member_remove(licence=licence, member=member, actor=professor)
    html = client.get(reverse("access:my_access")).content.decode()
    assert "no data access yet" not in html
    assert "no current data access" in html
