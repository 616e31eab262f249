"""The dataset's page lists the papers whose authors opted in, and only those."""

from __future__ import annotations

import pytest

from accord.publications.services import PaperDetails, publication_check, publication_submit

pytestmark = pytest.mark.django_db


def register(dataset, user, title: str, *, is_public: bool, submit: bool = True):
    paper = publication_check(
        dataset=dataset,
        actor=user,
        details=PaperDetails(
            title=title,
            authors="A. Author",
            venue="IEEE TAC",
            year=2026,
            doi="10.1109/TAFFC.2026.42",
            variants=("casmemg",),
            is_public=is_public,
        ),
        pdf=None,  # CASMEMG does not ask for the PDF
    )
    return publication_submit(publication=paper, actor=user) if submit else paper


def test_dataset_page_shows_only_opted_in_papers(client, casmemg_ds, casmemg_licensee):
    register(casmemg_ds, casmemg_licensee, "Shown paper", is_public=True)
    register(casmemg_ds, casmemg_licensee, "Private paper", is_public=False)
    register(casmemg_ds, casmemg_licensee, "Draft paper", is_public=True, submit=False)
    page = client.get("/datasets/casmemg/").content.decode()
    assert "Shown paper" in page
    assert 'href="https://doi.org/10.1109/TAFFC.2026.42"' in page
    assert "Private paper" not in page
    assert "Draft paper" not in page


def test_author_opts_a_paper_in_and_out(client, casmemg_ds, casmemg_licensee):
    paper = register(casmemg_ds, casmemg_licensee, "Later shown", is_public=False)
    client.force_login(casmemg_licensee)
    client.post(f"/publications/{paper.pk}/visibility", {"is_public": "1"})
    assert "Later shown" in client.get("/datasets/casmemg/").content.decode()
    client.post(f"/publications/{paper.pk}/visibility", {"is_public": "0"})
    assert "Later shown" not in client.get("/datasets/casmemg/").content.decode()


def test_someone_else_cannot_opt_a_paper_in(client, casmemg_ds, casmemg_licensee, outsider):
    paper = register(casmemg_ds, casmemg_licensee, "Not theirs", is_public=False)
    client.force_login(outsider)
    assert (
        client.post(f"/publications/{paper.pk}/visibility", {"is_public": "1"}).status_code == 404
    )
    assert "Not theirs" not in client.get("/datasets/casmemg/").content.decode()


def test_licensee_finds_the_register_on_the_dataset_page(client, casmemg_ds, casmemg_licensee):
    client.force_login(casmemg_licensee)
    assert "/publications/register/casmemg/" in client.get("/datasets/casmemg/").content.decode()


def test_outsider_is_not_offered_the_register(client, casmemg_ds, outsider):
    client.force_login(outsider)
    assert "/publications/register/" not in client.get("/datasets/casmemg/").content.decode()


def test_papers_are_in_the_navigation(client, casmemg_licensee, other_staff):
    client.force_login(casmemg_licensee)
    assert 'href="/publications/"' in client.get("/datasets/").content.decode()
    client.force_login(other_staff)
    assert 'href="/publications/staff/"' in client.get("/datasets/").content.decode()
