"""Every list page and list endpoint is paginated and costs the same number of queries for its
first page with 1× data (2 rows) and with 100× data (200 rows); the page holds at most its
page size and its "next" link (web: rel="next"; API: the Link header or the total) works.

Rows are bulk-inserted where listing does not depend on a service's side effects, so the
module stays fast; the list pages read them exactly as they read rows the services made."""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accord.access.models import Entitlement
from accord.accounts.models import ApiToken, Erasure
from accord.agreements.models import Application
from accord.audit.services import audit_record
from accord.catalog.models import DataFile, Dataset, Subject, Variant
from accord.licences.models import Licence, LicenceMember
from tests import factories
from tests.agreements.factories import draft, policy_dataset
from tests.downloads.conftest import signing_key_file  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

ONE_X, HUNDRED_X = 2, 200
_seq = itertools.count(1)


# --- Data, bulk-inserted ---------------------------------------------------------------------


@pytest.fixture
def world(custodian, signing_key_file):  # noqa: F811 - the imported fixture
    dataset = policy_dataset(custodian, slug="smic")
    variant = dataset.variants.get()
    version = dataset.license_versions.get()
    me = factories.UserFactory(email="me@uni-example.edu", full_name="Me Researcher")
    staff = factories.StaffFactory(custodian=custodian, admin=True).user
    return SimpleNamespace(
        custodian=custodian, dataset=dataset, variant=variant, version=version, me=me, staff=staff
    )


def _licences(w, n: int, *, signer, member=None, status=Licence.Status.ACTIVE) -> list[Licence]:
    rows = Licence.objects.bulk_create(
        Licence(
            reference=f"LIC-BULK-{next(_seq):05d}",
            dataset=w.dataset,
            license_version=w.version,
            signer=signer,
            status=status,
        )
        for _ in range(n)
    )
    Licence.variants.through.objects.bulk_create(
        Licence.variants.through(licence_id=lic.pk, variant_id=w.variant.pk) for lic in rows
    )
    LicenceMember.objects.bulk_create(
        LicenceMember(
            licence=lic,
            user=member,
            email=member.email if member else f"m{lic.pk}@uni-example.edu",
            full_name="A Member",
            status=LicenceMember.Status.ACTIVE if member is None else LicenceMember.Status.INVITED,
        )
        for lic in rows
    )
    return rows


def grow_licences_signed(w, n):
    _licences(w, n, signer=w.me)


def grow_memberships(w, n):
    _licences(w, n, signer=factories.UserFactory(), member=w.me)


def grow_register(w, n):
    _licences(w, n, signer=factories.UserFactory())


def _the_licence(w) -> Licence:
    if not hasattr(w, "the_licence"):
        w.the_licence = _licences(w, 1, signer=w.me)[0]
    return w.the_licence


def grow_licence_members(w, n):
    licence = _the_licence(w)
    LicenceMember.objects.bulk_create(
        LicenceMember(
            licence=licence,
            email=f"member{next(_seq):05d}@uni-example.edu",
            full_name="A Member",
            status=LicenceMember.Status.INVITED,
        )
        for _ in range(n)
    )


def grow_licence_entitlements(w, n):
    licence = _the_licence(w)
    Entitlement.objects.bulk_create(
        Entitlement(
            user=w.me,
            variant=w.variant,
            licence=licence,
            license_version=w.version,
            revoked_at=timezone.now(),
            revoke_reason="member removed",
        )
        for _ in range(n)
    )


def _entitlements(w, n, *, revoked: bool):
    now = timezone.now()
    Entitlement.objects.bulk_create(
        Entitlement(
            user=w.me,
            variant=w.variant,
            licence=lic,
            license_version=w.version,
            revoked_at=now if revoked else None,
            revoke_reason="licence ended" if revoked else "",
        )
        for lic in _licences(w, n, signer=w.me)
    )


def grow_usable(w, n):
    _entitlements(w, n, revoked=False)


def grow_ended(w, n):
    _entitlements(w, n, revoked=True)


def _applications(w, n, *, state):
    if not hasattr(w, "application"):
        w.application = draft(w.me, w.dataset)
    rows = []
    for _ in range(n):
        a = copy.copy(w.application)
        a.pk = a.id = None
        a._state.adding = True
        a.reference = f"APP-BULK-{next(_seq):05d}"
        a.state = state
        a.submitted_at = timezone.now() if state == Application.State.SUBMITTED else None
        rows.append(a)
    Application.objects.bulk_create(rows)


def grow_applications(w, n):
    # Drafts and submitted ones: a draft's API row also carries what it still misses.
    _applications(w, n - n // 2, state=Application.State.DRAFT)
    _applications(w, n // 2, state=Application.State.SUBMITTED)


def grow_submitted(w, n):
    _applications(w, n, state=Application.State.SUBMITTED)


def grow_returned(w, n):
    # Returned to the applicant: editable again, so each row also carries what it misses.
    _applications(w, n, state=Application.State.RETURNED)


def grow_datasets(w, n):
    Dataset.objects.bulk_create(
        factories.DatasetFactory.build(custodian=w.custodian, slug=f"bulk-{next(_seq):05d}")
        for _ in range(n)
    )


def grow_files(w, n):
    if not hasattr(w, "files_licence"):
        w.files_licence = _licences(w, 1, signer=w.me)[0]
        Entitlement.objects.create(
            user=w.me, variant=w.variant, licence=w.files_licence, license_version=w.version
        )
    DataFile.objects.bulk_create(
        DataFile(
            variant=w.variant,
            path=f"sub{i % 7:02d}/clip-{next(_seq):05d}.mp4",
            size=1000 + i,
            sha256=f"{i:064x}",
            storage_name=f"bulk/{i}",
            scan_status=DataFile.ScanStatus.CLEAN,
        )
        for i in range(n)
    )


def grow_variants(w, n):
    """``n`` more variants ``me`` may download, each with a file."""
    if not hasattr(w, "variants_licence"):
        w.variants_licence = _licences(w, 1, signer=w.me)[0]
    variants = Variant.objects.bulk_create(
        factories.VariantFactory.build(dataset=w.dataset, slug=f"v-{next(_seq):05d}")
        for _ in range(n)
    )
    Licence.variants.through.objects.bulk_create(
        Licence.variants.through(licence_id=w.variants_licence.pk, variant_id=v.pk)
        for v in variants
    )
    Entitlement.objects.bulk_create(
        Entitlement(user=w.me, variant=v, licence=w.variants_licence, license_version=w.version)
        for v in variants
    )
    DataFile.objects.bulk_create(
        DataFile(
            variant=v,
            path="clip.mp4",
            size=10,
            sha256="0" * 64,
            storage_name=f"bulk/{v.pk}",
            scan_status=DataFile.ScanStatus.CLEAN,
        )
        for v in variants
    )


def grow_erasures(w, n):
    rows = Erasure.objects.bulk_create(
        Erasure(user=factories.UserFactory(), pseudonym=f"erased-{next(_seq):05d}", counts={"x": 1})
        for _ in range(n)
    )
    Erasure.custodians.through.objects.bulk_create(
        Erasure.custodians.through(erasure_id=e.pk, custodian_id=w.custodian.pk) for e in rows
    )


def grow_subjects(w, n):
    Subject.objects.bulk_create(
        Subject(dataset=w.dataset, code=f"s{next(_seq):05d}") for _ in range(n)
    )


def grow_tokens(w, n):
    ApiToken.objects.bulk_create(
        ApiToken(
            user=w.me, name=f"script {i}", prefix=f"acc_{i:04d}", token_hash=f"{next(_seq):064x}"
        )
        for i in range(n)
    )


def grow_events(w, n):
    for _ in range(n):
        audit_record(
            actor=w.staff,
            event_type="catalog:dataset:update",
            target=w.dataset,
            dataset_id=w.dataset.pk,
            custodian_id=w.custodian.pk,
            details={"fields": ["summary"]},
        )


def _papers(w, n, *, by, status, public=False):
    from accord.publications.models import Publication

    w.dataset.__class__.objects.filter(pk=w.dataset.pk).update(is_published=True)
    now = timezone.now()
    rows = Publication.objects.bulk_create(
        Publication(
            dataset=w.dataset,
            registered_by=by,
            status=status,
            registered_at=now if status == Publication.Status.REGISTERED else None,
            title=f"A study {next(_seq):05d}",
            authors="A. Author, B. Author",
            venue="Journal of Tests",
            year=2026,
            is_public=public,
            check_state=Publication.State.COMPLIANT,
            verdict={"reasons": ["cites the dataset"]},
        )
        for _ in range(n)
    )
    Publication.variants.through.objects.bulk_create(
        Publication.variants.through(publication_id=p.pk, variant_id=w.variant.pk) for p in rows
    )


def grow_my_papers(w, n):
    from accord.publications.models import Publication

    _papers(w, n - n // 2, by=w.me, status=Publication.Status.DRAFT)
    _papers(w, n // 2, by=w.me, status=Publication.Status.REGISTERED)


def grow_registered_papers(w, n):
    from accord.publications.models import Publication

    _papers(w, n, by=w.me, status=Publication.Status.REGISTERED)


def grow_public_papers(w, n):
    from accord.publications.models import Publication

    _papers(w, n, by=w.me, status=Publication.Status.REGISTERED, public=True)


# --- The lists -------------------------------------------------------------------------------


@dataclass
class Case:
    id: str
    url: Callable[[SimpleNamespace], str]
    viewer: str  # "me", "staff" or "anonymous"
    grow: Callable[[SimpleNamespace, int], None]
    page_size: int
    key: str = ""  # web: the context name of the page; "" for an API endpoint
    param: str = "page"
    api: str = ""  # "link" (bare array, Link header) or "items" ({items, count})


def web(id, url, viewer, grow, page_size, key, param="page"):
    return Case(id, url, viewer, grow, page_size, key=key, param=param)


def api(id, url, viewer, grow, page_size, shape):
    return Case(id, url, viewer, grow, page_size, api=shape)


def _u(name, *args):
    return lambda w: reverse(name, args=args)


CASES = [
    web("web-catalogue", _u("catalog:dataset_list"), "anonymous", grow_datasets, 50, "datasets"),
    web("web-my-applications", _u("agreements:my_applications"), "me", grow_applications, 50,
        "applications"),
    web("web-my-licences", _u("agreements:my_applications"), "me", grow_licences_signed, 50,
        "licences", "licences_page"),
    web("web-my-memberships", _u("agreements:my_applications"), "me", grow_memberships, 50,
        "memberships", "memberships_page"),
    web("web-my-data-usable", _u("access:my_access"), "me", grow_usable, 50, "usable"),
    web("web-my-data-ended", _u("access:my_access"), "me", grow_ended, 50, "ended", "ended_page"),
    web("web-variant-files", lambda w: reverse("downloads:variant_files", args=[w.variant.slug]),
        "me", grow_files, 100, "files"),
    web("web-licence-members", lambda w: reverse("agreements:licence_detail",
        args=[_the_licence(w).reference]), "me", grow_licence_members, 50, "members",
        "members_page"),
    web("web-staff-licence-members", lambda w: reverse("agreements:licence_staff_detail",
        args=[_the_licence(w).reference]), "staff", grow_licence_members, 50, "members",
        "members_page"),
    web("web-staff-licence-entitlements", lambda w: reverse("agreements:licence_staff_detail",
        args=[_the_licence(w).reference]), "staff", grow_licence_entitlements, 50, "entitlements",
        "entitlements_page"),
    web("web-staff-files", lambda w: reverse("catalog:staff_files", args=[w.dataset.slug]),
        "staff", grow_files, 100, "variants.0.files", "smic-v_page"),
    web("web-erasures", _u("accounts:erasures"), "staff", grow_erasures, 50, "records"),
    web("web-staff-subjects", lambda w: reverse("catalog:staff_subjects", args=[w.dataset.slug]),
        "staff", grow_subjects, 100, "subjects"),
    web("web-tokens", _u("accounts:tokens"), "me", grow_tokens, 50, "tokens"),
    web("web-review-queue", _u("agreements:review_queue"), "staff", grow_submitted, 50, "page"),
    web("web-licence-register", _u("agreements:licence_register"), "staff", grow_register, 50,
        "page"),
    web("web-staff-catalogue", _u("catalog:staff_catalogue"), "staff", grow_datasets, 50,
        "datasets"),
    web("web-audit-trail", _u("audit:event_list"), "staff", grow_events, 100, "page"),
    web("web-my-papers", _u("publications:mine"), "me", grow_my_papers, 50, "papers"),
    web("web-staff-papers", lambda w: reverse("publications:staff_list", args=[w.dataset.slug]),
        "staff", grow_registered_papers, 50, "papers"),
    web("web-public-papers", lambda w: reverse("catalog:dataset_detail", args=[w.dataset.slug]),
        "anonymous", grow_public_papers, 50, "papers", "papers_page"),
    api("api-my-papers", lambda w: "/api/v1/publications", "me", grow_my_papers, 50, "items"),
    api("api-staff-papers", lambda w: "/api/v1/review/publications", "staff",
        grow_registered_papers, 50, "items"),
    api("api-datasets", lambda w: "/api/v1/datasets", "anonymous", grow_datasets, 50, "items"),
    api("api-variant-files", lambda w: f"/api/v1/variants/{w.variant.slug}/files?page_size=50",
        "me", grow_files, 50, "items"),
    api("api-licences", lambda w: "/api/v1/licences", "me", grow_licences_signed, 100, "link"),
    api("api-memberships", lambda w: "/api/v1/memberships", "me", grow_memberships, 100, "link"),
    api("api-applications", lambda w: "/api/v1/applications", "me", grow_applications, 100,
        "link"),
    api("api-downloadable-variants", lambda w: "/api/v1/downloads/variants", "me", grow_variants,
        100, "link"),
    api("api-entitlements", lambda w: "/api/v1/access/entitlements", "me", grow_ended, 100,
        "link"),
    api("api-review-applications", lambda w: "/api/v1/review/applications", "staff",
        grow_submitted, 100, "link"),
    api("api-review-returned", lambda w: "/api/v1/review/applications?state=returned", "staff",
        grow_returned, 100, "link"),
    api("api-licence-register", lambda w: "/api/v1/review/licences", "staff", grow_register, 50,
        "items"),
    api("api-audit-events", lambda w: "/api/v1/audit/events", "staff", grow_events, 100,
        "items"),
]  # fmt: skip


def _page(case: Case, response):
    """The page object a web case names: a context name, or a path into it ("variants.0.files")."""
    name, *path = case.key.split(".")
    page = response.context[name]
    for step in path:
        page = page[int(step)] if step.isdigit() else getattr(page, step)
    return page


def _rows(case: Case, response) -> list:
    if case.key:
        return list(_page(case, response).object_list)
    body = response.json()
    return body["items"] if case.api == "items" else body


def _next_url(case: Case, url: str, response) -> str | None:
    if case.key:
        match = re.search(r'href="\?([^"]*)" rel="next"', response.content.decode())
        if match:
            return f"{url}?{match.group(1).replace('&amp;', '&')}"
        page = _page(case, response)  # a page with its own links (the audit trail)
        return f"{url}?{case.param}={page.next_page_number()}" if page.has_next() else None
    if case.api == "link":
        match = re.search(r'<([^>]+)>; rel="next"', response.get("Link", ""))
        return match.group(1) if match else None
    body = response.json()
    if body["count"] <= len(body["items"]):
        return None
    return f"{url}{'&' if '?' in url else '?'}page=2"


def _get(client, case, url, headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.content[:300])
    return len(ctx), response


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_page_one_costs_the_same_queries_at_1x_and_100x_data(case, world, client):
    headers = {}
    if case.viewer != "anonymous":
        user = getattr(world, case.viewer)
        client.force_login(user)
        if case.api:
            from tests.roles import bearer

            headers = bearer(user, scope=ApiToken.Scope.READ)
    url = case.url(world)

    case.grow(world, ONE_X)
    _get(client, case, url, headers)  # warm caches (site, content types, session)
    few, small = _get(client, case, url, headers)
    assert len(_rows(case, small)) >= ONE_X
    case.grow(world, HUNDRED_X - ONE_X)
    many, big = _get(client, case, url, headers)

    assert few == many, f"{case.id}: {few} queries with 1x data, {many} with 100x"
    assert len(_rows(case, big)) == case.page_size
    next_url = _next_url(case, url, big)
    assert next_url, f"{case.id}: no link to the next page"
    _, second = _get(client, case, next_url, headers)
    assert 0 < len(_rows(case, second)) <= case.page_size
    assert {_key(r) for r in _rows(case, second)}.isdisjoint(_key(r) for r in _rows(case, big))


def _key(row) -> str:
    return f"pk={row.pk}" if hasattr(row, "pk") else repr(row)


def test_the_clients_file_list_costs_the_same_queries_at_1x_and_100x_data(world, client):
    """GET /api/v1/downloads/variants/{slug}/files stays one list (accord fetch reads it whole,
    as its manifest): not paginated, but its cost does not grow with the number of files."""
    from tests.roles import bearer

    headers = bearer(world.me, scope=ApiToken.Scope.READ)
    url = f"/api/v1/downloads/variants/{world.variant.slug}/files"
    grow_files(world, ONE_X)
    _get(client, None, url, headers)
    few, small = _get(client, None, url, headers)
    grow_files(world, HUNDRED_X - ONE_X)
    many, big = _get(client, None, url, headers)

    assert few == many
    assert (len(small.json()), len(big.json())) == (ONE_X, HUNDRED_X)


# --- Pages without a count: every row on exactly one page ------------------------------------
# The lists below stopped counting (or count apart from their page), so their "next" rests on
# reading one row more than the page: walked page by page, each row appears once, in order.

WALKED = {
    "web-my-data-usable",
    "web-my-data-ended",
    "web-variant-files",
    "web-licence-register",
    "web-audit-trail",
    "api-entitlements",
    "api-downloadable-variants",
    "api-licence-register",
    "api-audit-events",
}


def _walk(client, case: Case, url: str, headers) -> list[str]:
    """Every row's key, page after page, following each page's own "next"."""
    keys: list[str] = []
    page, next_url = 1, url
    while next_url:
        _, response = _get(client, case, next_url, headers)
        rows = _rows(case, response)
        assert rows or page == 1, f"{case.id}: page {page} is empty but was linked to"
        keys += [_key(r) if case.key else _api_key(r) for r in rows]
        if case.api == "items":  # {items, count}: ?page= up to the count
            more = page * case.page_size < response.json()["count"]
            next_url = f"{url}?page={page + 1}" if more else None
        else:
            next_url = _next_url(case, url, response)
        page += 1
    return keys


def _api_key(row) -> str:
    return repr(sorted(row.items()) if isinstance(row, dict) else row)


@pytest.mark.parametrize("case", [c for c in CASES if c.id in WALKED], ids=lambda c: c.id)
def test_walking_the_pages_shows_every_row_once(case, world, client):
    headers = {}
    if case.viewer != "anonymous":
        user = getattr(world, case.viewer)
        client.force_login(user)
        if case.api:
            from tests.roles import bearer

            headers = bearer(user, scope=ApiToken.Scope.READ)
    case.grow(world, HUNDRED_X + 7)  # pages of 50 or 100 rows, the last one part full
    keys = _walk(client, case, case.url(world), headers)

    assert len(keys) == len(set(keys)), f"{case.id}: a row is on two pages"
    assert len(keys) >= HUNDRED_X + 7, f"{case.id}: rows missing from the pages"
    if case.api == "link":  # the same rows in the same order as one page holding all
        _, whole = _get(client, case, f"{case.url(world)}?page_size=1000", headers)
        assert keys == [_api_key(r) for r in whole.json()]


def test_entitlement_pages_run_from_the_usable_ones_into_the_ended_ones(world, client):
    """GET /access/entitlements is not counted: a page that reaches past the usable
    entitlements continues with the ended ones, whatever the page size, none twice."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from tests.roles import bearer

    grow_usable(world, 5)
    grow_ended(world, 6)
    headers = bearer(world.me, scope=ApiToken.Scope.READ)
    url = "/api/v1/access/entitlements"
    whole = client.get(url, {"page_size": 1000}, **headers)
    assert "X-Total-Count" not in whole
    expected = whole.json()
    assert [e["usable"] for e in expected] == [True] * 5 + [False] * 6

    @settings(max_examples=12, deadline=None)
    @given(size=st.integers(min_value=1, max_value=12))
    def walk(size):
        listed, page = [], 1
        while True:
            response = client.get(url, {"page": page, "page_size": size}, **headers)
            listed += response.json()
            if 'rel="next"' not in response.get("Link", ""):
                break
            page += 1
        assert listed == expected
        assert page == max(1, -(-len(expected) // size))

    walk()


def test_the_variants_list_names_the_licence_downloads_go_under(world):
    """GET /downloads/variants picks each page variant's licence in the database; it is the
    one the downloads themselves use (the newest usable entitlement), among several."""
    from accord.access import policy

    grow_usable(world, 3)
    grow_ended(world, 2)
    chosen = policy.entitlements_in_use(world.me)
    assert policy.licences_in_use(world.me, [world.variant.pk]) == {
        world.variant.pk: chosen[world.variant.pk].licence.reference
    }
