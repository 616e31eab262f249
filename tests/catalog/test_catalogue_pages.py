"""The custodian staff's catalogue pages: who may use them (every role tried), and that each
change made there is saved through the services and leaves an audit event."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from accord.audit.models import Event
from accord.catalog import views_staff
from accord.catalog.models import PublicationRule, Subject
from tests import factories
from tests.access.factories import licence_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_manager(custodian):
    return factories.StaffFactory(custodian=custodian, data_manager=True).user


@pytest.fixture
def subject(dataset):
    return factories.SubjectFactory(dataset=dataset, code="s05")


def events(event_type: str) -> list[Event]:
    return list(Event.objects.filter(event_type=event_type).order_by("seq"))


def _pages(slug: str) -> list[tuple[str, str, dict]]:
    return [
        ("get", f"/datasets/{slug}/manage/", {}),
        ("post", f"/datasets/{slug}/manage/", {"name": "Taken over"}),
        ("get", f"/datasets/{slug}/manage/subjects/", {}),
        ("post", f"/datasets/{slug}/manage/subjects/", {"code": "s99"}),
        ("post", f"/datasets/{slug}/manage/subjects/withdraw", {"subject": "s05", "reason": "x"}),
        ("get", f"/datasets/{slug}/manage/publication/", {}),
        ("post", f"/datasets/{slug}/manage/publication/", {"rule": "new", "new-mode": "deny"}),
    ]


def _role(name, custodian, other_custodian, dataset):
    variant = factories.VariantFactory(dataset=dataset)
    if name == "signer":
        user = factories.UserFactory()
        licence_for(variants=[variant], signer=user)
        return user
    if name == "member":
        user = factories.UserFactory()
        licence_for(variants=[variant], members=[user])
        return user
    if name == "outsider":
        return factories.UserFactory()
    if name == "reviewer":  # our own staff, without a catalogue permission
        return factories.StaffFactory(custodian=custodian).user
    if name == "other-custodians-admin":
        return factories.StaffFactory(custodian=other_custodian, admin=True).user
    raise AssertionError(name)


@pytest.mark.parametrize(
    "role", ["signer", "member", "outsider", "reviewer", "other-custodians-admin"]
)
def test_the_dataset_pages_do_not_exist_for_anyone_without_the_permission_here(
    client, role, custodian, other_custodian, dataset, subject
):
    client.force_login(_role(role, custodian, other_custodian, dataset))
    for method, url, data in _pages(dataset.slug):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (role, method, url, response.status_code)
    dataset.refresh_from_db()
    subject.refresh_from_db()
    assert dataset.name != "Taken over" and subject.status == Subject.Status.ACTIVE
    assert not dataset.subjects.filter(code="s99").exists()
    assert not PublicationRule.objects.exists()
    assert not Event.objects.filter(event_type__startswith="catalog:").exists()


def test_anonymous_is_sent_to_sign_in(client, dataset, subject):
    for method, url, data in [("get", "/datasets/manage/", {}), *_pages(dataset.slug)]:
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert not Event.objects.filter(event_type__startswith="catalog:").exists()


@pytest.mark.parametrize("role", ["data_manager", "admin", "superuser"])
def test_staff_with_the_permission_and_superusers_may_open_every_page(
    client, role, custodian, dataset
):
    if role == "superuser":
        user = factories.UserFactory(is_superuser=True, is_staff=True)
    else:
        user = factories.StaffFactory(custodian=custodian, **{role: True}).user
    client.force_login(user)
    for url in ("/datasets/manage/", *(u for m, u, _ in _pages(dataset.slug) if m == "get")):
        assert client.get(url).status_code == 200, url


def test_the_catalogue_lists_only_our_datasets(client, data_manager, dataset, other_custodian):
    theirs = factories.DatasetFactory(custodian=other_custodian, name="Their dataset")
    client.force_login(data_manager)
    page = client.get("/datasets/manage/").content.decode()
    assert dataset.name in page
    assert theirs.name not in page


def test_reviewers_have_no_catalogue_page_or_link(client, staff):
    client.force_login(staff)
    assert client.get("/datasets/manage/").status_code == 404
    assert reverse("catalog:staff_catalogue") not in client.get("/datasets/").content.decode()


def test_data_managers_see_the_catalogue_link(client, data_manager):
    client.force_login(data_manager)
    page = client.get("/datasets/").content.decode()
    assert f'href="{reverse("catalog:staff_catalogue")}"' in page


# --- Changes made on the pages ----------------------------------------------------------------


def _dataset_form(dataset, **changes) -> dict:
    data = {
        "name": dataset.name,
        "short_name": dataset.short_name,
        "summary": dataset.summary,
        "description": dataset.description,
        "modalities": ", ".join(dataset.modalities),
        "homepage": dataset.homepage,
        "requires_affiliated_email": "on",
        "notice_days": dataset.notice_days,
        "terms_no_action": dataset.terms_no_action,
        "terms_acceptance": dataset.terms_acceptance,
    }
    if dataset.is_published:
        data["is_published"] = "on"
    return {**data, **changes}


def test_editing_a_description_is_saved_and_audited(client, data_manager, dataset):
    client.force_login(data_manager)
    url = f"/datasets/{dataset.slug}/manage/"
    response = client.post(
        url, _dataset_form(dataset, description="Now with depth.", modalities="video, depth")
    )

    assert response.status_code == 302
    assert "are saved" in client.get(response["Location"]).content.decode()
    dataset.refresh_from_db()
    assert (dataset.description, dataset.modalities) == ("Now with depth.", ["video", "depth"])
    (event,) = events("catalog:dataset:update")
    assert event.actor_id == data_manager.pk
    assert set(event.details["changes"]) == {"description", "modalities"}


def test_a_bad_value_is_shown_next_to_its_field_and_nothing_is_saved(client, data_manager, dataset):
    client.force_login(data_manager)
    response = client.post(
        f"/datasets/{dataset.slug}/manage/",
        _dataset_form(dataset, summary="Changed", homepage="not a web address"),
    )
    assert response.status_code == 200
    assert "Enter a valid URL" in response.content.decode()
    dataset.refresh_from_db()
    assert dataset.summary != "Changed"
    assert events("catalog:dataset:update") == []


def test_adding_a_subject_on_the_page_is_audited_and_a_duplicate_explained(
    client, data_manager, dataset, subject
):
    client.force_login(data_manager)
    url = f"/datasets/{dataset.slug}/manage/subjects/"
    assert client.post(url, {"code": "s06"}).status_code == 302
    refused = client.post(url, {"code": "s05"})

    assert refused.status_code == 200
    assert "already has a subject s05" in refused.content.decode()
    assert sorted(dataset.subjects.values_list("code", flat=True)) == ["s05", "s06"]
    assert len(events("catalog:subject:add")) == 1


def test_withdrawing_a_subject_on_the_page_records_reason_and_is_audited(
    client, data_manager, dataset, subject
):
    client.force_login(data_manager)
    response = client.post(
        f"/datasets/{dataset.slug}/manage/subjects/withdraw",
        {"subject": "s05", "reason": "Phoned on Monday", "withdrawn_on": ""},
    )

    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "recorded as withdrawn" in page and "Phoned on Monday" in page
    subject.refresh_from_db()
    assert subject.status == Subject.Status.WITHDRAWN
    (event,) = events("catalog:subject:withdraw")
    # The reason may name the participant: kept on the subject, never in the hashed chain.
    assert "Phoned on Monday" not in event.payload and "withdrawal_reason" not in event.payload


def test_withdrawing_without_a_reason_says_what_to_do(client, data_manager, dataset, subject):
    client.force_login(data_manager)
    response = client.post(
        f"/datasets/{dataset.slug}/manage/subjects/withdraw", {"subject": "s05", "reason": ""}
    )
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    subject.refresh_from_db()
    assert subject.status == Subject.Status.ACTIVE


def test_withdrawing_needs_a_recent_sign_in(client, data_manager, dataset, subject, settings):
    assert getattr(views_staff.subject_withdraw, "sensitive_action", False)
    client.force_login(data_manager)
    session = client.session
    records = session["account_authentication_methods"]
    for record in records:
        record["at"] = time.time() - settings.ACCOUNT_REAUTHENTICATION_TIMEOUT - 60
    session["account_authentication_methods"] = records
    session.save()

    response = client.post(
        f"/datasets/{dataset.slug}/manage/subjects/withdraw", {"subject": "s05", "reason": "x"}
    )

    assert response.status_code == 302
    assert "/reauthenticate/" in response["Location"] or "/2fa/" in response["Location"]
    subject.refresh_from_db()
    assert subject.status == Subject.Status.ACTIVE
    assert events("catalog:subject:withdraw") == []


def test_creating_and_editing_a_publication_rule_on_the_page_is_audited(
    client, data_manager, dataset, subject
):
    other = factories.SubjectFactory(dataset=dataset, code="s06")
    client.force_login(data_manager)
    url = f"/datasets/{dataset.slug}/manage/publication/"
    created = client.post(
        url,
        {
            "rule": "new",
            "new-scope": "dataset",
            "new-mode": "allow",
            "new-subjects": [str(subject.pk)],
            "new-notice": "Images © the custodian",
        },
    )
    assert created.status_code == 302
    rule = PublicationRule.objects.get(dataset=dataset, variant=None)

    edited = client.post(
        url,
        {
            "rule": str(rule.pk),
            f"rule-{rule.pk}-mode": "allow",
            f"rule-{rule.pk}-subjects": [str(subject.pk), str(other.pk)],
            f"rule-{rule.pk}-notice": "Images © the custodian",
        },
    )

    assert edited.status_code == 302
    assert sorted(rule.subjects.values_list("code", flat=True)) == ["s05", "s06"]
    assert len(events("catalog:publication-rule:create")) == 1
    (event,) = events("catalog:publication-rule:update")
    assert event.details["changes"] == {"subjects": {"before": ["s05"], "after": ["s05", "s06"]}}
    page = client.get(url).content.decode()
    assert "Add a rule" not in page  # the dataset has its rule and has no variant


def test_a_rule_cannot_list_a_subject_of_another_dataset(client, data_manager, dataset):
    stranger = factories.SubjectFactory(code="x01")
    client.force_login(data_manager)
    response = client.post(
        f"/datasets/{dataset.slug}/manage/publication/",
        {
            "rule": "new",
            "new-scope": "dataset",
            "new-mode": "allow",
            "new-subjects": [str(stranger.pk)],
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not PublicationRule.objects.exists()
