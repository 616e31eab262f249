"""The signed-in person's own data access."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from accord.access import selectors
from accord.core.decorators import signed_in


@signed_in
@require_GET
def my_access(request):
    usable, ended = selectors.entitlements_of(request.user)
    return render(request, "access/my_access.html", {"usable": usable, "ended": ended})
