"""Public catalogue pages."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories


def test_unpublished_dataset_is_not_listed_nor_reachable(client, db):
    hidden = factories.DatasetFactory(unpublished=True, name="Hidden set")
    assert "Hidden set" not in client.get("/datasets/").content.decode()
    assert client.get(f"/datasets/{hidden.slug}/").status_code == 404
    assert client.get(f"/datasets/{hidden.slug}/citations.bib").status_code == 404


def test_unknown_dataset_is_404(client, db):
    assert client.get("/datasets/nope/").status_code == 404


def test_list_page_query_count_does_not_grow_with_datasets(client, db):
    factories.DatasetFactory()

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/datasets/").status_code == 200
        return len(ctx.captured_queries)

    one = queries()
    for _ in range(5):
        factories.VariantFactory(dataset=factories.DatasetFactory())
    assert queries() == one


def test_deny_list_rule_shows_excluded_subjects(client, db):
    from accord.catalog.models import PublicationRule

    dataset = factories.DatasetFactory()
    s1 = factories.SubjectFactory(dataset=dataset, code="s01")
    factories.SubjectFactory(dataset=dataset, code="s02")
    rule = PublicationRule.objects.create(
        dataset=dataset, mode="deny", notice="© The custodian; used with permission."
    )
    rule.subjects.set([s1])
    page = client.get(f"/datasets/{dataset.slug}/").content.decode()
    assert "every subject's images may be shown except" in page
    assert "© The custodian; used with permission." in page


def test_withdrawn_subject_is_never_publishable(db):
    from accord.catalog.models import PublicationRule, Subject
    from accord.catalog.selectors import publishable_subjects

    dataset = factories.DatasetFactory()
    s7 = factories.SubjectFactory(dataset=dataset, code="07")
    rule = PublicationRule.objects.create(dataset=dataset, mode="allow")
    rule.subjects.set([s7])
    assert [s.code for s in publishable_subjects(rule)] == ["07"]
    s7.status = Subject.Status.WITHDRAWN
    s7.save()
    assert publishable_subjects(rule) == []
    assert not rule.may_show(s7)
