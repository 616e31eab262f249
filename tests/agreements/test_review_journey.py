"""The reviewer's journey: the queue says what waits and what is overdue, an empty queue says
why it is empty, and the decision comes before the signed pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accord.agreements.models import Application
from tests.agreements.factories import submitted

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _queue(client, reviewer, **params) -> str:
    client.force_login(reviewer)
    return client.get(reverse("agreements:review_queue"), params).content.decode()


def test_empty_queue_says_nothing_is_waiting(client, ipcas_reviewer):
    page = _queue(client, ipcas_reviewer)

    assert "Nothing is waiting for review." in page
    assert "Nothing matches these filters" not in page


def test_filters_that_hide_every_row_say_so(client, student, casmemg, ipcas_reviewer):
    submitted(student, casmemg)

    page = _queue(client, ipcas_reviewer, state="approved")

    assert "Nothing matches these filters." in page
    assert "Nothing is waiting for review." not in page


def test_queue_counts_what_is_waiting_and_overdue(
    client, student, casmemg, ipcas_reviewer, settings
):
    settings.REVIEW_OVERDUE_DAYS = 5
    old = submitted(student, casmemg)
    Application.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(days=6))
    submitted(student, casmemg)

    page = _queue(client, ipcas_reviewer)

    assert "2 applications are waiting for a decision." in page
    assert "1 is overdue." in page
    assert "submitted more than 5 days ago" in page
    assert page.count('class="bad overdue"') == 1


def test_overdue_filter_lists_only_the_overdue(client, student, casmemg, ipcas_reviewer, settings):
    settings.REVIEW_OVERDUE_DAYS = 5
    old = submitted(student, casmemg)
    Application.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(days=6))
    fresh = submitted(student, casmemg)

    page = _queue(client, ipcas_reviewer, age="overdue")

    assert old.reference in page and fresh.reference not in page


def test_decision_comes_before_the_signed_pages_which_are_thumbnails(
    client, student, casmemg, ipcas_reviewer
):
    application = submitted(student, casmemg)
    agreement = application.current_agreement()
    client.force_login(ipcas_reviewer)

    page = client.get(reverse("agreements:review_detail", args=[application.reference]))

    html = page.content.decode()
    image_url = reverse(
        "agreements:review_page_image", args=[application.reference, agreement.pk, 1]
    )
    assert html.index('id="decide"') < html.index('id="agreement"')
    assert html.index("Return for changes") < html.index(image_url)
    assert f'<a class="page-thumb" href="{image_url}"' in html
