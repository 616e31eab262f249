"""API endpoints of accounts (mounted by accord.api.routers)."""

from ninja import Router, Schema

from accord.api.auth import token_or_session

router = Router(tags=["accounts"])


class MeOut(Schema):
    email: str
    full_name: str
    token_scope: str | None


@router.get("/me", response=MeOut, auth=token_or_session)
def me(request):
    """Who the token (or session) belongs to; `accord fetch` shows it before downloading."""
    token = getattr(request, "api_token", None)
    return MeOut(
        email=request.user.email,
        full_name=request.user.full_name,
        token_scope=token.scope if token else None,
    )


@router.get("/me/export", response=dict, auth=token_or_session)
def me_export(request):
    """Everything Accord holds about the caller, as the "Personal data" page's download (the
    request is audited). Other people appear by role only, never by name or address."""
    from accord.accounts.services_privacy import personal_data_export_request

    return personal_data_export_request(user=request.user, channel="api")
