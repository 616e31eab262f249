"""The signed-in person's own data access."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from accord.access import selectors
from accord.core.decorators import signed_in
from accord.core.pages import paginate

PAGE_SIZE = 50


@signed_in
@require_GET
def my_access(request):
    usable, ended = selectors.entitlements_of(request.user)
    usable_page, _ = paginate(request, usable, PAGE_SIZE)
    ended_page, _ = paginate(request, ended, PAGE_SIZE, param="ended_page")
    return render(request, "access/my_access.html", {"usable": usable_page, "ended": ended_page})
