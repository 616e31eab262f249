"""The staff translation pages (clause translations, variant descriptions) attacked, with
DEBUG off as in production: another custodian's staff find nothing there (404, never 403),
people who are not staff are turned away, a translation holding markup is shown as text on
every page and in the agreement PDF, a language Accord does not offer is refused with a clear
form error, a malformed version asked for is a 404, and a POST without the CSRF token fails."""

from __future__ import annotations

import pypdfium2
import pytest
from django.test import Client
from django.urls import reverse

from accord.audit.models import Event
from accord.catalog.models import ClauseTranslation, Variant
from accord.catalog.services_translations import TRANSLATION_EVENT
from tests import factories
from tests.agreements.factories import draft, policy_dataset

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script><b>bold</b>'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;"


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


@pytest.fixture
def terms(custodian):
    dataset = policy_dataset(custodian)
    return dataset, dataset.license_versions.get(version=1)


@pytest.fixture
def data_manager(custodian):
    return factories.StaffFactory(custodian=custodian, data_manager=True).user


@pytest.fixture
def their_manager(other_custodian):
    """Custodian B's data manager: may translate B's catalogue, nothing of A's."""
    return factories.StaffFactory(custodian=other_custodian, data_manager=True).user


def _page(slug: str, query: str = "") -> str:
    return reverse("catalog:staff_terms_translations", args=[slug]) + query


def _variants(slug: str) -> str:
    return reverse("catalog:staff_variants", args=[slug])


def _logged_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def _words(version, *, language="zh-hans", title="标题", text="正文") -> dict:
    c1 = version.clauses.get(code="C1")
    return {
        "version": version.version,
        f"c{c1.pk}-{language}-title": title,
        f"c{c1.pk}-{language}-text": text,
    }


# --- Who may see the pages ----------------------------------------------------------------------


def test_another_custodians_manager_finds_no_translation_page_of_ours(
    terms, their_manager, data_manager
):
    dataset, version = terms
    client = _logged_in(their_manager)
    for url in (_page(dataset.slug), _page(dataset.slug, "?version=1"), _variants(dataset.slug)):
        response = client.get(url)
        assert response.status_code == 404, url
        assert dataset.name not in response.content.decode()
    missing = client.get(_page("no-such-dataset"))
    assert missing.status_code == 404
    assert client.post(_page(dataset.slug), _words(version)).status_code == 404
    variant = dataset.variants.get()
    posted = client.post(
        _variants(dataset.slug),
        {"variant": variant.pk, f"variant-{variant.pk}-description_fi": "x"},
    )
    assert posted.status_code == 404
    assert not ClauseTranslation.objects.exists()
    assert Variant.objects.get(pk=variant.pk).description_fi is None
    assert not Event.objects.filter(event_type=TRANSLATION_EVENT).exists()


def test_someone_who_is_not_staff_is_turned_away(terms, member_of_nothing):
    dataset, version = terms
    client = _logged_in(member_of_nothing)
    for url in (_page(dataset.slug), _variants(dataset.slug)):
        assert client.get(url).status_code == 404
    assert client.post(_page(dataset.slug), _words(version)).status_code == 404
    anonymous = Client().get(_page(dataset.slug))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert Client().post(_page(dataset.slug), _words(version)).status_code == 302
    assert not ClauseTranslation.objects.exists()


@pytest.fixture
def member_of_nothing(db):
    return factories.UserFactory()


# --- Markup in a translation is text ------------------------------------------------------------


def test_markup_in_a_translation_is_escaped_on_every_page_that_shows_it(
    terms, data_manager, custodian
):
    dataset, version = terms
    staff = _logged_in(data_manager)
    assert staff.post(_page(dataset.slug), _words(version, title=SCRIPT, text=SCRIPT)).status_code
    variant = dataset.variants.get()
    staff.post(
        _variants(dataset.slug),
        {
            "variant": variant.pk,
            f"variant-{variant.pk}-description": "All.",
            f"variant-{variant.pk}-description_zh_hans": SCRIPT,
        },
    )
    assert ClauseTranslation.objects.get().title == SCRIPT
    reader = Client()
    page = reader.get(
        reverse("catalog:dataset_detail", args=[dataset.slug]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert SCRIPT not in page
    assert page.count(ESCAPED) == 3  # the clause's title and text, the variant's description
    editor = staff.get(_page(dataset.slug)).content.decode()
    assert SCRIPT not in editor and ESCAPED in editor
    applicant = _logged_in(factories.UserFactory(language="zh-hans"))
    form = applicant.get(reverse("agreements:application_start", args=[dataset.slug]))
    form = form.content.decode()
    assert SCRIPT not in form and ESCAPED in form


def test_markup_in_a_translation_is_plain_text_in_the_agreement_pdf(terms, data_manager):
    dataset, version = terms
    _logged_in(data_manager).post(_page(dataset.slug), _words(version, title=SCRIPT, text=SCRIPT))
    applicant = factories.UserFactory(email="li@uni-example.edu", language="zh-hans")
    application = draft(applicant, dataset)
    response = _logged_in(applicant).get(
        reverse("agreements:application_pdf", args=[application.reference])
    )
    assert response.status_code == 200
    pdf = b"".join(response.streaming_content) if response.streaming else response.content
    document = pypdfium2.PdfDocument(pdf)
    try:
        text = "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    text = "".join(text.split())
    assert "".join(SCRIPT.split()) in text  # as typed, not interpreted


# --- Languages and versions Accord does not offer -----------------------------------------------


def test_a_language_accord_does_not_offer_is_refused_with_a_form_error(terms, data_manager):
    dataset, version = terms
    response = _logged_in(data_manager).post(_page(dataset.slug), _words(version, language="de"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "There are no translations into “de” here" in page
    assert "Simplified Chinese" in page and "Finnish" in page
    assert not ClauseTranslation.objects.exists()
    assert not Event.objects.filter(event_type=TRANSLATION_EVENT).exists()


def test_a_known_language_beside_an_unknown_one_is_not_saved_either(terms, data_manager):
    dataset, version = terms
    data = {**_words(version), **_words(version, language="xx-evil")}
    response = _logged_in(data_manager).post(_page(dataset.slug), data)
    assert response.status_code == 200
    assert "There are no translations into “xx-evil” here" in response.content.decode()
    assert not ClauseTranslation.objects.exists()


def test_a_variant_description_in_a_language_accord_does_not_offer_is_refused(terms, data_manager):
    dataset, _version = terms
    variant = dataset.variants.get()
    response = _logged_in(data_manager).post(
        _variants(dataset.slug),
        {
            "variant": variant.pk,
            f"variant-{variant.pk}-description": variant.description,
            f"variant-{variant.pk}-description_de": "Alle Clips.",
        },
    )
    assert response.status_code == 200
    assert "There are no translations into “de” here" in response.content.decode()
    assert not Event.objects.filter(event_type="catalog:variant:update").exists()


@pytest.mark.parametrize("asked", ["²", "١", "99999999999999999999", "-1", "1.0", " 1"])
def test_a_malformed_version_is_a_404_not_an_error(terms, data_manager, asked):
    dataset, _version = terms
    client = _logged_in(data_manager)
    assert client.get(_page(dataset.slug), {"version": asked}).status_code == 404
    assert client.post(_page(dataset.slug), {"version": asked}).status_code == 404


# --- CSRF ---------------------------------------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused(terms, data_manager):
    dataset, version = terms
    client = _logged_in(data_manager, enforce_csrf_checks=True)
    assert client.post(_page(dataset.slug), _words(version)).status_code == 403
    variant = dataset.variants.get()
    refused = client.post(
        _variants(dataset.slug), {"variant": variant.pk, f"variant-{variant.pk}-description": "x"}
    )
    assert refused.status_code == 403
    assert not ClauseTranslation.objects.exists()
    # With the token the page gave, the same POST is accepted.
    client.get(_page(dataset.slug))
    token = client.cookies["csrftoken"].value
    accepted = client.post(_page(dataset.slug), {**_words(version), "csrfmiddlewaretoken": token})
    assert accepted.status_code == 302
    assert ClauseTranslation.objects.count() == 1


def test_a_clause_of_another_custodians_terms_posted_through_our_page_is_untouched(
    terms, data_manager, other_custodian
):
    """The field names carry clause ids: one of custodian B's, posted by A's data manager on
    A's page, is not a field there and changes nothing."""
    dataset, version = terms
    theirs = policy_dataset(other_custodian, slug="theirs", short_name="THEIRS")
    their_clause = theirs.license_versions.get(version=1).clauses.get(code="C1")
    response = _logged_in(data_manager).post(
        _page(dataset.slug),
        {
            "version": version.version,
            f"c{their_clause.pk}-zh-hans-title": "偷改",
            f"c{their_clause.pk}-zh-hans-text": "偷改",
        },
    )
    assert response.status_code == 302  # "Nothing was changed."
    assert not ClauseTranslation.objects.exists()
    assert not Event.objects.filter(event_type=TRANSLATION_EVENT).exists()
