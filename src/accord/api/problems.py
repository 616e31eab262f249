"""Problem responses (RFC 9457) in the OpenAPI schema, so the schema says what the server does.

Routers declare the refusals their own code makes (`response={200: X, frozenset({404}):
ProblemOut}`); the ones every operation shares are added here, from what the plumbing does:
400 for a NUL character anywhere in the request (accord.ops.middleware); 401 where the
operation needs a credential; 403 where a browser session may make a change (ninja's CSRF
check); 422 where it takes input that can be invalid (ninja validates all of it). Every
problem is answered as application/problem+json, and the schema says that too."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

PROBLEM_MEDIA_TYPE = "application/problem+json"


class ValidationErrorOut(Schema):
    model_config = ConfigDict(extra="allow")

    loc: list[str | int]
    msg: str
    type: str


class ProblemOut(Schema):
    """An RFC 9457 problem: `type` names the kind of refusal (…/problems/<code>), `detail`
    says what to do about it."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    instance: str | None = None
    field: str | None = Field(None, description="The input the refusal is about, if one.")
    errors: list[ValidationErrorOut] | None = Field(
        None, description="For 422: each invalid input, where it is and what is wrong."
    )


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemOut"}}},
    }


UNSAFE_METHODS = {"post", "put", "patch", "delete"}
SHARED = {
    400: "Refused: the request contains a NUL character.",
    401: "No valid credential: send `Authorization: Bearer <token>` or sign in.",
    403: "Refused: a signed-in browser's request without its CSRF token.",
    422: "An input is not valid; `errors` says which and why.",
}


def _can_fail_validation(schema: dict[str, Any]) -> bool:
    # Any text is a valid path segment or query value for a plain (optional) string parameter.
    plain = ({"type": "string"}, {"type": "null"})
    if "anyOf" in schema:
        branches = schema["anyOf"]
        schema = {k: v for k, v in schema.items() if k != "anyOf"}
        if any(b not in plain for b in branches):
            return True
    else:
        schema = dict(schema)
        if schema.pop("type", None) != "string":
            return True
    return bool(set(schema) - {"title", "description", "default"})


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the shared problem responses to every operation and give every problem response
    its real media type."""
    schemes = schema.get("components", {}).get("securitySchemes", {})
    cookie_schemes = {name for name, s in schemes.items() if s.get("in") == "cookie"}
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            codes = {400}
            security = {
                name for requirement in operation.get("security", []) for name in requirement
            }
            if security:
                codes.add(401)
            if method in UNSAFE_METHODS and security & cookie_schemes:
                codes.add(403)
            if operation.get("requestBody") or any(
                _can_fail_validation(p["schema"]) for p in operation.get("parameters", [])
            ):
                codes.add(422)
            for code in codes:
                responses.setdefault(code, {"description": SHARED[code]})
            for code, response in responses.items():
                if int(code) < 400:
                    continue
                content = response.get("content") or {}
                if not content or any(
                    c.get("schema", {}).get("$ref", "").endswith("/ProblemOut")
                    for c in content.values()
                ):
                    description = response.get("description") or SHARED.get(int(code), "")
                    if description in ("", "OK"):
                        description = "Refused; `detail` says why and what to do."
                    responses[code] = _problem_response(description)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem = ProblemOut.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem.pop("$defs", {}))
    components["ProblemOut"] = problem
    return schema
