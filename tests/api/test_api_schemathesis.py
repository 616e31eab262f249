"""The OpenAPI schema is the contract: schemathesis generates valid and invalid requests for
every operation in /api/v1/openapi.json and runs all its checks — no 5xx, every status code
and body as declared, invalid input refused and valid input accepted. Bounded (a fixed number
of examples per operation and identity, derandomized) so it runs in `make test`."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, is_check_class, load_all_checks

from accord.accounts.models import ApiToken
from accord.accounts.services import api_token_create
from accord.audit.services import audit_record
from tests import factories

MAX_EXAMPLES = 20

load_all_checks()
# Every built-in check that judges a single response, as `schemathesis run --checks all`.
ALL_CHECKS = [check for check in CHECKS.get_all() if not is_check_class(check)]


def _load_schema():
    # Loaded at collection, through the WSGI app (the schema view needs no database).
    from accord.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    schema.config.generation.update(
        modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
    )
    return schema


schema = _load_schema()


@pytest.fixture
def _keep_test_connection():
    """Calling the WSGI app directly fires request_started/finished, whose handler closes the
    database connection, and with it the test's transaction on PostgreSQL. Django's test
    client disconnects it the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def identities(_keep_test_connection, db, custodian, dataset):
    """Data for the operations to find, and a token for each kind of caller."""
    variant = factories.VariantFactory(dataset=dataset, slug="smic-e")
    audit_record(event_type="test:seed:event", custodian_id=custodian.id, dataset_id=dataset.id)
    staff = factories.StaffFactory(custodian=custodian, admin=True).user
    outsider = factories.UserFactory()
    tokens = {
        "anonymous": None,
        "outsider": api_token_create(user=outsider, name="o", scope=ApiToken.Scope.WRITE),
        "staff": api_token_create(user=staff, name="s", scope=ApiToken.Scope.WRITE),
    }
    return variant, {k: (t.secret if t else None) for k, t in tokens.items()}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same inputs every run: a failure here reproduces
)
def test_api_does_what_its_schema_says(case, identities):
    _variant, tokens = identities
    for secret in tokens.values():
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        case.call_and_validate(headers=headers, checks=ALL_CHECKS)
