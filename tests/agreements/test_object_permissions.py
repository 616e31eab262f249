"""A reviewer of CMVS cannot list, open or act on an IP-CAS application: every route answers
404, exactly as for an application that does not exist."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accord.agreements import services
from accord.agreements.models import Application
from accord.core.errors import NotFound
from tests import factories
from tests.agreements.factories import policy_dataset, signer_confirms, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def ipcas_application(student, casmemg):
    return submitted(student, casmemg)


def test_cmvs_reviewer_does_not_see_ipcas_applications_in_the_queue(
    client, staff, ipcas_application
):
    client.force_login(staff)
    for state in ("", "submitted"):
        page = client.get(reverse("agreements:review_queue"), {"state": state})
        assert page.status_code == 200
        assert ipcas_application.reference not in page.content.decode()
    page = client.get(reverse("agreements:review_queue"), {"dataset": "casmemg-test"})
    assert ipcas_application.reference not in page.content.decode()


@pytest.mark.parametrize(
    "name,method,extra",
    [
        ("review_detail", "get", ()),
        ("review_page_image", "get", ("agreement", 1)),
        ("review_approve", "post", ()),
        ("review_reject", "post", ()),
        ("review_return", "post", ()),
        ("review_resend_signer_link", "post", ()),
    ],
)
def test_cmvs_reviewer_gets_404_on_every_ipcas_route(
    client, staff, ipcas_application, name, method, extra
):
    agreement = ipcas_application.current_agreement()
    args = [ipcas_application.reference] + [agreement.pk if a == "agreement" else a for a in extra]
    client.force_login(staff)
    response = getattr(client, method)(reverse(f"agreements:{name}", args=args), {"comment": "x"})
    assert response.status_code == 404
    missing = [services.new_reference(), *args[1:]]
    assert getattr(client, method)(reverse(f"agreements:{name}", args=missing)).status_code == 404
    ipcas_application.refresh_from_db()
    assert ipcas_application.state == "submitted"


def test_cmvs_reviewer_cannot_act_through_the_services(staff, ipcas_application):
    for call in (
        lambda: services.application_decide(
            decision="approve", application=ipcas_application, actor=staff
        ),
        lambda: services.application_decide(
            decision="reject", application=ipcas_application, actor=staff, comment="x"
        ),
        lambda: services.application_decide(
            decision="return", application=ipcas_application, actor=staff, comment="x"
        ),
    ):
        with pytest.raises(NotFound):
            call()
    assert Application.objects.get().state == "submitted"


def test_cmvs_reviewer_gets_404_through_the_api(client, staff, ipcas_application):
    client.force_login(staff)
    ref = ipcas_application.reference
    listed = client.get("/api/v1/review/applications", {"state": ""}).json()
    assert ref not in [a["reference"] for a in listed]
    assert client.get(f"/api/v1/review/applications/{ref}").status_code == 404
    for action in ("approve", "reject", "return"):
        response = client.post(
            f"/api/v1/review/applications/{ref}/{action}",
            {"comment": "x"},
            content_type="application/json",
        )
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"


def test_own_custodian_reviewer_does_see_it(client, staff, student, custodian):
    smic_like = policy_dataset(custodian, slug="smic-test", short_name="SMIC")
    application = submitted(student, smic_like)
    client.force_login(staff)
    page = client.get(reverse("agreements:review_queue"))
    assert application.reference in page.content.decode()
    assert (
        client.get(reverse("agreements:review_detail", args=[application.reference])).status_code
        == 200
    )


def test_staff_without_review_permission_cannot_open_the_queue(client, outsider):
    client.force_login(outsider)
    assert client.get(reverse("agreements:review_queue")).status_code == 404


def test_superuser_sees_every_custodian(client, ipcas_application):
    admin = factories.UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    page = client.get(reverse("agreements:review_queue"))
    assert ipcas_application.reference in page.content.decode()


def test_decisions_are_sensitive_staff_actions():
    from django.urls import resolve

    for name in ("review_approve", "review_reject", "review_return"):
        view = resolve(reverse(f"agreements:{name}", args=["LA-2026-0000001"])).func
        assert view.access_rule == "staff:agreements:application:review"
        assert getattr(view, "sensitive_action", False) is True


def test_confirmed_signer_may_read_but_not_change_the_application(
    client, student, professor, ipcas_application
):
    signer_confirms(ipcas_application, professor)
    client.force_login(professor)
    ref = ipcas_application.reference
    page = client.get(reverse("agreements:application_detail", args=[ref]))
    assert page.status_code == 200 and b"Signer confirmation" in page.content
    assert client.post(reverse("agreements:application_withdraw", args=[ref])).status_code == 404
    assert client.get(reverse("agreements:application_pdf", args=[ref])).status_code == 404
