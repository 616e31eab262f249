"""Default deny, proven: every URL and API operation has a declared rule, and requesting each
one as someone who may not use it is refused.

The rule is the ``access_rule`` attribute set by accord.core.decorators (``public``,
``signed-in``, ``staff:<permission>``, ``superuser``). ``RULES`` below is the table of who
may use a route under each rule; a view with no rule, or with a rule missing from the table,
fails ``test_every_route_declares_a_rule``. Routes of allauth and Django's admin are declared
as groups. API operations must each declare ``auth`` (``auth=None`` means public, on purpose).

Object-level checks (staff of one custodian get 404 for another's objects) live with each
app's tests, which create the objects; here every route is requested with made-up arguments
as anonymous and as an outsider, and must refuse (or, for public routes, not break).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from ninja.constants import NOT_SET

from accord.api.main import api
from tests import factories

ANON, OUTSIDER, MEMBER, SIGNER = "anonymous", "outsider", "member", "signer"
OWN_STAFF, OTHER_STAFF, SUPERUSER = "own-staff", "other-staff", "superuser"
ROLES = (ANON, OUTSIDER, MEMBER, SIGNER, OWN_STAFF, OTHER_STAFF, SUPERUSER)

# Who may use a route, per rule: "yes", "no", or "own" (only their own objects: the view
# must 404 everything else, which the app's object-level tests prove).
RULES: dict[str, dict[str, str]] = {
    "public": dict.fromkeys(ROLES, "yes"),
    "signed-in": {
        ANON: "no",
        OUTSIDER: "own",
        MEMBER: "own",
        SIGNER: "own",
        OWN_STAFF: "own",
        OTHER_STAFF: "own",
        SUPERUSER: "own",
    },
    "staff": {
        ANON: "no",
        OUTSIDER: "no",
        MEMBER: "no",
        SIGNER: "no",
        OWN_STAFF: "yes",  # with the named permission
        OTHER_STAFF: "own",  # their own custodian's objects only: 404 for ours
        SUPERUSER: "yes",
    },
    "superuser": {**dict.fromkeys(ROLES, "no"), SUPERUSER: "yes"},
    # Groups of routes we do not write ourselves:
    # Sign-in/up pages for anyone, the rest on one's own account only; allauth answers bad
    # links with a 200 page that says so, so only "never a 5xx" is checked for them.
    "allauth": {**dict.fromkeys(ROLES, "own")},
    "admin": {**dict.fromkeys(ROLES, "no"), SUPERUSER: "yes"},  # is_staff only
    "api": {},  # operations are checked one by one below
}


@dataclass(frozen=True)
class Route:
    path: str  # with converters, e.g. "apply/<str:reference>/"
    name: str
    namespace: str
    pattern: URLPattern

    @property
    def rule(self) -> str | None:
        if self.namespace == "admin" or self.path.startswith("admin/"):
            # Its own sign-in and sign-out pages are the way in, open to anyone.
            return "public" if self.name in ("login", "logout") else "admin"
        if self.namespace == "api":
            return "api"
        module = getattr(self.pattern.callback, "__module__", "") or ""
        if module.startswith("allauth."):
            return "allauth"
        return getattr(self.pattern.callback, "access_rule", None)

    @property
    def rule_group(self) -> str | None:
        rule = self.rule
        return "staff" if rule and rule.startswith("staff:") else rule


def walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            yield from walk(p, prefix + str(p.pattern), ns)
        else:
            yield Route(prefix + str(p.pattern), p.name or "", namespace, p)


def undeclared(routes) -> list[str]:
    """Routes with no rule, or a rule the table does not know."""
    return [
        f"/{r.path} ({r.name or r.pattern.callback}): rule {r.rule!r}"
        for r in routes
        if r.rule_group not in RULES
    ]


def api_operations():
    for bound in api._get_bound_routers():
        for path, path_view in bound.path_operations.items():
            for op in path_view.operations:
                yield bound, path, op


def test_every_route_declares_a_rule():
    problems = undeclared(walk(get_resolver()))
    assert not problems, (
        "These routes have no access rule: wear one of public / signed_in / staff(perm) / "
        "superuser from accord.core.decorators:\n" + "\n".join(problems)
    )


def test_a_route_without_a_rule_is_caught():
    from django.urls import path

    def naked(request):  # no decorator: must be reported
        raise AssertionError("never called")

    class Conf:
        urlpatterns = [path("naked/", naked, name="naked")]

    problems = undeclared(walk(URLResolver(re.compile("^/"), Conf)))
    assert problems == ["/naked/ (naked): rule None"]


def test_every_api_operation_declares_auth():
    missing = [
        f"{'/'.join(op.methods)} {bound.prefix}{path} ({op.view_func.__name__})"
        for bound, path, op in api_operations()
        if op.auth_param is NOT_SET and bound.auth is NOT_SET
    ]
    assert not missing, (
        "These API operations do not declare auth= (use accord.api.auth.token_or_session, "
        "or auth=None for a public endpoint):\n" + "\n".join(missing)
    )


# --- Requests --------------------------------------------------------------------------------

SAMPLES = {"int": "999999", "slug": "no-such-thing", "str": "no-such", "path": "no/such"}
SAMPLES_UUID = "00000000-0000-4000-8000-000000000000"
REGEX_CANDIDATES = ("csv", "json", "auth", "no-such", "999999", "abc-key")


def concrete(route_path: str) -> str | None:
    """A URL for the route with made-up arguments, or None if no sample fits."""

    def converter(m: re.Match) -> str:
        kind = m.group(1) or ("int" if m.group(2).endswith("id") else "str")
        return SAMPLES_UUID if kind == "uuid" else SAMPLES.get(kind, "no-such")

    def group(m: re.Match) -> str:
        sub = m.group(2)
        for candidate in REGEX_CANDIDATES:
            if re.fullmatch(sub, candidate):
                return candidate
        raise LookupError(sub)

    try:
        url = re.sub(r"\(\?P<(\w+)>((?:[^()]|\([^()]*\))*)\)", group, route_path)
    except LookupError:
        return None
    url = re.sub(r"<(?:(\w+):)?(\w+)>", converter, url)
    url = url.replace("^", "").replace("$", "").replace("\\.", ".")
    return "/" + url


def _denied(response) -> bool:
    if response.status_code in (401, 403, 404, 405):
        return True
    if response.status_code == 302:
        target = response["Location"]
        return any(
            part in target
            for part in ("/accounts/login/", "/admin/login/", "/accounts/reauthenticate/")
        )
    return False


def _site_routes():
    return [r for r in walk(get_resolver()) if r.rule_group not in ("api",)]


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_refused_everywhere_not_public(client, method):
    wrong = []
    for route in _site_routes():
        url = concrete(route.path)
        if url is None:
            continue
        response = getattr(client, method)(url)
        expected = RULES[route.rule_group][ANON]
        if response.status_code >= 500:
            wrong.append(f"{method.upper()} {url}: {response.status_code}")
        elif expected == "no" and not _denied(response):
            wrong.append(f"{method.upper()} {url} [{route.rule}]: {response.status_code}")
    assert not wrong, "Anonymous requests not refused:\n" + "\n".join(wrong)


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_is_refused_on_staff_superuser_and_admin_routes(outsider_client, method):
    wrong = []
    for route in _site_routes():
        url = concrete(route.path)
        if url is None:
            continue
        response = getattr(outsider_client, method)(url)
        expected = RULES[route.rule_group][OUTSIDER]
        if response.status_code >= 500:
            wrong.append(f"{method.upper()} {url}: {response.status_code}")
        elif expected == "no" and not _denied(response):
            wrong.append(f"{method.upper()} {url} [{route.rule}]: {response.status_code}")
        elif (
            route.rule_group == "signed-in" and response.status_code == 200 and _has_argument(route)
        ):
            # Made-up identifiers are nobody's: the page must not exist for an outsider.
            wrong.append(f"{method.upper()} {url} [{route.rule}]: 200 for a made-up id")
    assert not wrong, "Outsider requests not refused:\n" + "\n".join(wrong)


def _has_argument(route: Route) -> bool:
    return "<" in route.path or "(?P<" in route.path


@pytest.mark.django_db
def test_staff_routes_without_arguments_open_for_staff_with_the_permission(client, custodian):
    from accord.core.permissions import ROLE_PERMISSIONS

    admin_staff = factories.StaffFactory(custodian=custodian, admin=True).user
    assert ROLE_PERMISSIONS["admin"]  # the admin role holds every permission
    client.force_login(admin_staff)
    wrong = []
    for route in _site_routes():
        if route.rule_group != "staff" or _has_argument(route):
            continue
        url = concrete(route.path)
        response = client.get(url)
        if response.status_code not in (200, 302, 405):
            wrong.append(f"GET {url} [{route.rule}]: {response.status_code}")
    assert not wrong, "Staff refused on their own pages:\n" + "\n".join(wrong)


def _api_url(path: str) -> str:
    def param(m: re.Match) -> str:
        name = m.group(1).split(":")[-1]
        return "999999" if name.endswith("id") else "no-such"

    return "/api/v1" + re.sub(r"\{([^}]+)\}", param, path)


def _api_ops():
    for bound, path, op in api_operations():
        public = op.auth_param is None or (op.auth_param is NOT_SET and bound.auth is None)
        for method in op.methods:
            yield method, _api_url(bound.prefix.rstrip("/") + path), public


@pytest.mark.django_db
def test_api_refuses_anonymous_on_every_non_public_operation(client):
    wrong = []
    for method, url, public in _api_ops():
        response = client.generic(method, url, data="{}", content_type="application/json")
        if response.status_code >= 500:
            wrong.append(f"{method} {url}: {response.status_code}")
        elif not public and response.status_code not in (401, 404, 405):
            wrong.append(f"{method} {url}: {response.status_code} (expected 401)")
    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_api_with_an_outsiders_token_never_breaks_and_finds_no_made_up_objects(client, outsider):
    from accord.accounts.models import ApiToken
    from accord.accounts.services import api_token_create

    secret = api_token_create(user=outsider, name="probe", scope=ApiToken.Scope.WRITE).secret
    wrong = []
    for method, url, _public in _api_ops():
        response = client.generic(
            method,
            url,
            data="{}",
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {secret}",
        )
        if response.status_code >= 500:
            wrong.append(f"{method} {url}: {response.status_code}")
        elif "999999" in url and response.status_code == 200:
            wrong.append(f"{method} {url}: 200 for a made-up id")
    assert not wrong, "\n".join(wrong)


# --- Staff of another custodian ---------------------------------------------------------------


# How to fill a staff route's arguments with a real object of the owning custodian. A route
# whose argument is not listed here is reported by the test below, so the table grows with
# the routes.
def _registered_paper(dataset):
    """A paper registered as having used ``dataset``, with its PDF stored."""
    from django.core.files.base import ContentFile

    from accord.core.storage import protected_storage
    from accord.publications.models import Publication

    name = protected_storage().save("publications/test/paper.pdf", ContentFile(b"%PDF-1.4\n"))
    return Publication.objects.create(
        dataset=dataset,
        status=Publication.Status.REGISTERED,
        title="A paper",
        authors="A. Author",
        venue="A venue",
        year=2026,
        check_state=Publication.State.COMPLIANT,
        pdf_storage_name=name,
    )


def _withdrawn_subject(dataset):
    """A subject of ``dataset`` whose consent withdrawal was carried out (its page exists)."""
    from accord.catalog.services_staff import subject_withdraw

    subject = factories.SubjectFactory(dataset=dataset, code="w01")
    actor = factories.StaffFactory(custodian=dataset.custodian, data_manager=True).user
    return subject_withdraw(subject=subject, actor=actor, reason="Withdrawal for the test")


def _real_arguments(application) -> dict[str, str]:
    from tests.access.factories import licence_for

    agreement = application.signed_agreements.order_by("id").first()
    licence = licence_for(variants=application.dataset.variants.all())
    paper = _registered_paper(application.dataset)
    withdrawn = _withdrawn_subject(application.dataset)
    return {
        "code": withdrawn.code,
        "paper": str(paper.pk),
        "licence": licence.reference,
        "reference": application.reference,
        "agreement_id": str(agreement.id),
        "page": "1",
        "slug": application.dataset.slug,
        "fmt": "csv",
    }


# Arguments that choose a rendering, not an object: such a route shows staff their own data.
NOT_OBJECTS = {"fmt"}


def _names_an_object(route: Route) -> bool:
    names = set(re.findall(r"<(?:\w+:)?(\w+)>", route.path))
    return bool(names - NOT_OBJECTS)


def _fill(route_path: str, values: dict[str, str]) -> str | None:
    missing = []

    def sub(m: re.Match) -> str:
        name = m.group(2)
        if name not in values:
            missing.append(name)
            return ""
        return values[name]

    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values.get(m.group(1), "\0"), route_path)
    url = re.sub(r"<(?:(\w+):)?(\w+)>", sub, url)
    if missing or "\0" in url:
        return None
    return "/" + url.replace("^", "").replace("$", "").replace("\\.", ".")


@pytest.mark.django_db
def test_staff_of_another_custodian_get_404_for_our_objects(client, custodian, other_custodian):
    """An application (with its signed scan) of ``custodian``: every staff route that takes
    arguments is requested with its real identifiers by an administrator of another
    custodian (who holds every permission there) and must not exist for them; our own
    administrator gets past the permission check."""
    from tests.agreements.factories import policy_dataset, submitted

    application = submitted(factories.UserFactory(), policy_dataset(custodian))
    values = _real_arguments(application)
    ours = factories.StaffFactory(custodian=custodian, admin=True).user
    theirs = factories.StaffFactory(custodian=other_custodian, admin=True).user

    wrong, unfilled, checked = [], [], 0
    for route in _site_routes():
        if route.rule_group != "staff" or not _names_an_object(route):
            continue
        url = _fill(route.path, values)
        if url is None:
            unfilled.append(route.path)
            continue
        checked += 1
        client.force_login(theirs)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if response.status_code not in (404, 405):
                wrong.append(f"{method.upper()} {url} as other staff: {response.status_code}")
        client.force_login(ours)
        response = client.get(url)
        if response.status_code == 404:
            wrong.append(f"GET {url} as own staff: 404")
    assert not wrong, "\n".join(wrong)
    assert not unfilled, (
        "Staff routes with arguments this test cannot fill yet; add the argument to "
        "_real_arguments: " + ", ".join(unfilled)
    )
    assert checked


@pytest.mark.django_db
def test_api_finds_none_of_our_objects_for_another_custodians_staff(
    client, custodian, other_custodian
):
    from accord.accounts.models import ApiToken
    from accord.accounts.services import api_token_create
    from tests.agreements.factories import policy_dataset, submitted

    application = submitted(factories.UserFactory(), policy_dataset(custodian))
    values = _real_arguments(application)
    theirs = factories.StaffFactory(custodian=other_custodian, admin=True).user
    secret = api_token_create(user=theirs, name="probe", scope=ApiToken.Scope.WRITE).secret
    wrong, checked = [], 0
    for bound, path, op in api_operations():
        names = re.findall(r"\{(?:\w+:)?(\w+)\}", path)
        public = op.auth_param is None or (op.auth_param is NOT_SET and bound.auth is None)
        if public or not names or any(n not in values for n in names):
            continue
        url = "/api/v1" + re.sub(
            r"\{(?:\w+:)?(\w+)\}", lambda m: values[m.group(1)], bound.prefix.rstrip("/") + path
        )
        for method in op.methods:
            checked += 1
            response = client.generic(
                method,
                url,
                data="{}",
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {secret}",
            )
            if response.status_code not in (404, 405, 422):
                wrong.append(f"{method} {url}: {response.status_code}")
    assert not wrong, "Another custodian's staff reached our objects:\n" + "\n".join(wrong)
    assert checked
