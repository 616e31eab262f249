"""Which language a person reads Accord in: their saved preference when signed in, otherwise
the switcher's choice (a cookie) or their browser's Accept-Language (LocaleMiddleware)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.http import HttpResponseRedirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accord.core.decorators import public

SUPPORTED = {code for code, _name in settings.LANGUAGES}


def supported(code: str | None) -> str | None:
    """The supported language for ``code`` ("zh-Hans", "zh_hans", "fi-FI"...), or None."""
    if not code:
        return None
    try:
        found = translation.get_supported_language_variant(code.replace("_", "-").lower())
    except LookupError:
        return None
    return found if found in SUPPORTED else None


class UserLanguageMiddleware:
    """After AuthenticationMiddleware: a signed-in person's saved language wins over the
    browser, so every device they sign in on speaks their language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        preferred = supported(getattr(user, "language", "")) if user is not None else None
        if preferred and user.is_authenticated:
            translation.activate(preferred)
            request.LANGUAGE_CODE = preferred
        return self.get_response(request)


@contextmanager
def language_of(user) -> Iterator[str]:
    """Render inside this for a message meant for ``user``: their language, else English."""
    code = supported(getattr(user, "language", "")) or settings.LANGUAGE_CODE
    with translation.override(code):
        yield code


@public
@require_POST
def language_set(request):
    """The switcher: remember the choice in a cookie and, for a signed-in person, as their
    preference (emails follow it). CSRF-protected like every POST."""
    from accord.accounts.services import user_language_set

    code = supported(request.POST.get("language"))
    target = request.POST.get("next") or request.headers.get("referer") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if code is None:
        return response
    if request.user.is_authenticated:
        user_language_set(user=request.user, language=code)
    translation.activate(code)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
