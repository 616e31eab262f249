"""The person's own email preferences: which optional emails they get."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accord.core.decorators import signed_in

from . import preferences


@signed_in
def email_preferences(request):
    if request.method == "POST":
        preferences.email_preferences_set(user=request.user, wanted=request.POST.getlist("wanted"))
        messages.success(request, _("Your email preferences were saved."))
        return redirect("accounts:email_preferences")
    wanted = preferences.preferences_of(request.user)
    return render(
        request,
        "accounts/email_preferences.html",
        {
            "optional": [
                (key, label, key in wanted) for key, (label, _t) in preferences.OPTIONAL.items()
            ],
            "required": preferences.REQUIRED,
        },
    )
