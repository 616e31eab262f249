"""Template context shared by every page: site name and the signed-in user's navigation."""

from __future__ import annotations

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from accord.core.permissions import is_custodian_staff

# (url name, label, who sees it); lazy labels, so each page shows them in its language.
# Links whose route does not exist are left out.
NAV = [
    ("agreements:my_applications", _("My applications"), "user"),
    ("access:my_access", _("Your data"), "user"),
    ("publications:mine", _("Your papers"), "user"),
    ("accounts:tokens", _("API tokens"), "user"),
    ("accounts:personal_data", _("Personal data"), "user"),
    ("accounts:email_preferences", _("Emails"), "user"),
    ("overview:dashboard", _("Overview"), "staff"),
    ("agreements:review_queue", _("Review queue"), "staff"),
    ("agreements:licence_register", _("Licences"), "staff"),
    ("publications:staff_index", _("Papers"), "staff"),
    ("audit:event_list", _("Audit trail"), "staff"),
    ("accounts:erasures", _("Erasures"), "staff"),
]


def _nav_links(user, path: str = "") -> list[dict]:
    if not getattr(user, "is_authenticated", False):
        return []
    staff = is_custodian_staff(user)
    links = []
    for name, label, audience in NAV:
        if audience == "staff" and not staff:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        links.append({"url": url, "label": label, "current": False})
    # Marks where the person is (aria-current): the longest matching prefix wins, so
    # /apply/review/ lights "Review queue", not also "My applications" (/apply/).
    matching = [link for link in links if path.startswith(link["url"])]
    if matching:
        max(matching, key=lambda link: len(link["url"]))["current"] = True
    return links


def site(request):
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "nav_links": _nav_links(getattr(request, "user", None), getattr(request, "path", "")),
    }
