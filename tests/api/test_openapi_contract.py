"""The schema's promises that schemathesis cannot see by sampling."""

from __future__ import annotations

from ninja.openapi.schema import OpenAPISchema


def test_two_different_schemas_never_share_a_component_name(monkeypatch):
    # ninja keeps the last of two same-named models: the catalogue's VariantOut was once
    # described by the downloads' VariantOut, and its responses 'violated' their own schema.
    from accord.api.main import api

    seen: dict[str, dict] = {}
    clashes: list[str] = []
    original = OpenAPISchema.add_schema_definitions

    def checked(self, definitions):
        for name, definition in definitions.items():
            if name in seen and seen[name] != definition:
                clashes.append(name)
            seen[name] = definition
        original(self, definitions)

    monkeypatch.setattr(OpenAPISchema, "add_schema_definitions", checked)
    api.get_openapi_schema()
    assert clashes == []


def test_every_problem_response_is_declared_as_problem_json():
    from accord.api.main import api

    schema = api.get_openapi_schema()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for code, response in operation["responses"].items():
                if int(code) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (
                        method,
                        path,
                        code,
                    )
