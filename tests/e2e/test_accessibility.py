"""Accessibility and phones, in real Chromium: for each role (visitor, applicant and invited
member, signer, custodian staff) every page of the main journey and the main staff pages
have no serious or critical axe-core violation at desktop and at phone width; at 390 px wide
no page scrolls sideways (tables scroll in their own box) and every navigation link is on
screen and works; the keyboard reaches every control with a visible focus, the skip link
jumps to the content, and a form is filled in and submitted with the keyboard alone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accord.agreements import services
from accord.licences.models import Licence, LicenceMember
from tests import factories
from tests.agreements.factories import signer_confirms, submitted
from tests.e2e.a11y import PHONE, assert_fits_phone, axe_violations, describe_violations
from tests.e2e.conftest import FACTORY_PASSWORD
from tests.e2e.test_journey_languages import casmemg_with_files

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SLOW = 60_000
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def signing_key_file(tmp_path, settings):
    settings.SIGNING_KEY_FILE = tmp_path / "keys" / "signing.pem"
    return settings.SIGNING_KEY_FILE


@pytest.fixture
def scenario(tmp_path, signing_key_file):
    """A licence the professor signed with Sam invited (not yet joined), and a second
    application confirmed by its signer and waiting in the custodian's queue."""
    ipcas, dataset, variant = casmemg_with_files(tmp_path)
    admin = factories.StaffFactory(custodian=ipcas, admin=True).user
    student = factories.UserFactory(email="sam@uni-example.edu", full_name="Sam Student")
    professor = factories.UserFactory(email="prof.ada@uni-example.edu", full_name="Ada Lovelace")
    first = submitted(student, dataset)
    signer_confirms(first, professor)
    services.application_decide(application=first, actor=admin, decision="approve")
    licence = Licence.objects.get()
    other = factories.UserFactory(email="bo@uni-example.edu", full_name="Bo Chen")
    waiting = submitted(other, dataset, members=[])
    signer_confirms(waiting, professor)
    invitation = LicenceMember.objects.get(licence=licence, email=student.email)
    return {
        "dataset": dataset,
        "variant": variant,
        "admin": admin,
        "student": student,
        "professor": professor,
        "licence": licence,
        "first": first,
        "waiting": waiting,
        "invitation": invitation,
    }


def pages_by_role(s) -> dict[str, tuple[object, list[str]]]:
    """Each role's pages besides its navigation links (which the test follows too)."""
    d = s["dataset"].slug
    return {
        "visitor": (
            None,
            [
                "/datasets/",
                f"/datasets/{d}/",
                reverse("account_login"),
                reverse("account_signup"),
                reverse("account_reset_password"),
            ],
        ),
        "applicant and invited member": (
            s["student"],
            [
                f"/datasets/{d}/",
                reverse("agreements:application_start", args=[d]),
                reverse("agreements:application_detail", args=[s["first"].reference]),
                reverse("agreements:member_accept", args=[s["invitation"].pk]),
            ],
        ),
        "signer": (
            s["professor"],
            [
                reverse("agreements:licence_detail", args=[s["licence"].reference]),
                reverse("downloads:variant_files", args=[s["variant"].slug]),
            ],
        ),
        "custodian staff": (
            s["admin"],
            [
                reverse("agreements:review_detail", args=[s["waiting"].reference]),
                reverse("catalog:staff_catalogue"),
                reverse("catalog:staff_dataset_edit", args=[d]),
                reverse("catalog:staff_terms", args=[d]),
                reverse("catalog:staff_files", args=[d]),
                reverse("agreements:licence_staff_detail", args=[s["licence"].reference]),
            ],
        ),
    }


NAV_LINKS = """() => [...document.querySelectorAll('header.site nav a')].map(a => {
  const r = a.getBoundingClientRect();
  return {href: a.getAttribute('href'), text: a.innerText.trim(),
          left: r.left, right: r.right, width: r.width, height: r.height};
})"""


ROLES = ["visitor", "applicant and invited member", "signer", "custodian staff"]


@pytest.mark.parametrize("role", ROLES)
def test_each_roles_pages_pass_axe_and_fit_a_phone(role, scenario, browser_as):
    user, pages = pages_by_role(scenario)[role]
    page = browser_as(user)
    page.set_viewport_size(PHONE)
    page.goto("/", timeout=SLOW)
    nav = page.evaluate(NAV_LINKS)
    problems = []
    for link in nav:
        if link["width"] == 0 or link["left"] < 0 or link["right"] > PHONE["width"]:
            problems.append(f"navigation link {link['text']!r} is off screen at 390px: {link}")
        if link["height"] < 24:
            problems.append(f"navigation link {link['text']!r} is {link['height']}px tall")
    urls = list(dict.fromkeys(pages + [link["href"] for link in nav]))
    for url in urls:
        response = page.goto(url, timeout=SLOW)
        assert response is not None and response.ok, f"{role}: {url} answered {response.status}"
        for size in (PHONE, DESKTOP):
            page.set_viewport_size(size)
            page.evaluate("() => window.dispatchEvent(new Event('resize'))")
            violations = axe_violations(page)
            if violations:
                problems.append(
                    f"{role}, {url} at {size['width']}px:\n{describe_violations(violations)}"
                )
        page.set_viewport_size(PHONE)
        try:
            assert_fits_phone(page, f"{role}: {url}")
        except AssertionError as error:
            problems.append(str(error))
    assert not problems, "\n".join(problems)


FOCUS = """() => {
  const el = document.activeElement;
  const s = getComputedStyle(el);
  return {tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name'),
          text: (el.innerText || el.value || '').trim().slice(0, 40),
          outline: s.outlineStyle, width: parseFloat(s.outlineWidth) || 0, shadow: s.boxShadow,
          visible: el.getClientRects().length > 0};
}"""


def focus_of(page) -> dict:
    return page.evaluate(FOCUS)


def shows_focus(focus: dict) -> bool:
    return (focus["outline"] != "none" and focus["width"] >= 2) or focus["shadow"] != "none"


def test_keyboard_reaches_every_control_with_a_visible_focus(scenario, browser_as):
    page = browser_as(scenario["student"])
    page.goto(reverse("agreements:application_start", args=[scenario["dataset"].slug]))
    page.wait_for_selector("form.application")
    seen, problems = [], []
    for _ in range(200):
        page.keyboard.press("Tab")
        focus = focus_of(page)
        if focus["tag"] == "body":
            break
        key = (focus["tag"], focus["id"], focus["name"], focus["text"])
        if key in seen:
            break
        seen.append(key)
        if not shows_focus(focus) and focus["visible"]:
            problems.append(f"no visible focus on {focus}")
    assert len(seen) > 20, f"the keyboard reached only {seen}"
    assert any(f[2] == "save" for f in seen), "the Save button is not reachable by keyboard"
    assert not problems, "\n".join(problems)


def test_skip_link_is_first_and_jumps_to_the_content(browser_as, scenario):
    page = browser_as(scenario["student"])
    page.goto("/apply/", timeout=SLOW)
    page.keyboard.press("Tab")
    focus = focus_of(page)
    assert (
        focus["tag"] == "a"
        and page.evaluate("() => document.activeElement.getAttribute('href')") == "#main"
    )
    assert shows_focus(focus)
    box = page.locator("a.skip-link").bounding_box()
    assert box is not None and box["y"] >= 0, "the skip link stays hidden when focused"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # the next stop is inside the content, not the header
    assert page.evaluate("() => !!document.activeElement.closest('main')")


def test_sign_in_with_the_keyboard_alone(browser_as, scenario):
    page = browser_as()
    page.goto(reverse("account_login"), timeout=SLOW)
    for _ in range(40):
        page.keyboard.press("Tab")
        if focus_of(page)["name"] == "login":
            break
    else:
        pytest.fail("Tab never reached the email field")
    page.keyboard.type(scenario["student"].email)
    page.keyboard.press("Tab")
    assert focus_of(page)["name"] == "password"
    page.keyboard.type(FACTORY_PASSWORD)
    for _ in range(10):  # past "remember me" and "forgot password" to the button
        page.keyboard.press("Tab")
        focus = focus_of(page)
        assert shows_focus(focus), f"no visible focus on {focus}"
        if focus["tag"] == "button":
            break
    else:
        pytest.fail("Tab never reached the sign-in button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert reverse("account_login") not in page.url
    assert scenario["student"].email in page.inner_text("header.site")
