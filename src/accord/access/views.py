"""The signed-in person's own data access."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from accord.access import selectors
from accord.core.decorators import signed_in
from accord.core.pages_uncounted import IdsFirst, paginate_uncounted

PAGE_SIZE = 50


@signed_in
@require_GET
def my_access(request):
    usable, ended = selectors.entitlements_of(request.user)
    # Not counted: a count asks the rules of use of each of the person's entitlements again.
    usable_page, _ = paginate_uncounted(request, IdsFirst(usable), PAGE_SIZE)
    ended_page, _ = paginate_uncounted(request, IdsFirst(ended), PAGE_SIZE, param="ended_page")
    return render(request, "access/my_access.html", {"usable": usable_page, "ended": ended_page})
