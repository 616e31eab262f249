"""The REST API at /api/v1: one NinjaAPI, one router per app, problem+json errors."""

from __future__ import annotations

from django.http import Http404
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError

from accord.api.problems import document_problems
from accord.core.errors import DomainError
from accord.core.problem import problem_response


class AccordAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return document_problems(schema)


api = AccordAPI(
    title="Accord API",
    version="1",
    description=(
        "Catalogue, applications, licences and downloads of an Accord portal. "
        "Authenticate with `Authorization: Bearer <token>`; errors are RFC 9457 problem+json."
    ),
    urls_namespace="api",
    # No call to swagger.io's online validator: the CSP forbids it, and the schema's address
    # is nobody else's business.
    docs=Swagger(settings={"validatorUrl": None}),
)


@api.exception_handler(ValidationError)
def _validation(request, exc: ValidationError):
    return problem_response(
        422, "The request is not valid; see errors.", code="validation", errors=exc.errors
    )


@api.exception_handler(AuthenticationError)
def _auth(request, exc):
    response = problem_response(
        401,
        "Send a valid API token as 'Authorization: Bearer <token>' or sign in.",
        code="authentication",
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem_response(404, "Not found (or not yours).", code="not-found")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return problem_response(exc.status_code, str(exc))


@api.exception_handler(DomainError)
def _domain(request, exc: DomainError):
    extra = {"field": exc.field} if exc.field else {}
    return problem_response(exc.status, exc.message, code=exc.code, **extra)


def _register_routers() -> None:
    from accord.api import routers

    for prefix, router in routers.ROUTERS:
        api.add_router(prefix, router)


_register_routers()
