"""After signing in, each person lands where their work is."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from accord.accounts.adapter import AccountAdapter

pytestmark = pytest.mark.django_db


def _landing(user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return AccountAdapter(request).get_login_redirect_url(request)


def test_custodian_staff_land_on_their_review_queue(staff):
    assert _landing(staff) == reverse("agreements:review_queue")


def test_researchers_land_on_the_catalogue(outsider):
    assert _landing(outsider) == "/"


def test_a_next_link_still_wins_for_staff(client, staff):
    staff.set_password("correct-horse-77")
    staff.save()
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=staff, email=staff.email, defaults={"verified": True, "primary": True}
    )
    target = reverse("catalog:dataset_list")
    response = client.post(
        reverse("account_login") + f"?next={target}",
        {"login": staff.email, "password": "correct-horse-77", "next": target},
    )
    # Staff go on to two-factor first; the next= target is carried, not replaced by the queue.
    assert response.status_code == 302
    assert reverse("agreements:review_queue") not in response["Location"]
