"""The agreements and downloads role users side by side, for tests that try every role on
both (import the fixtures a test module needs from here)."""

from __future__ import annotations

import pytest

from accord.accounts.models import ApiToken
from accord.accounts.services import api_token_create
from tests import factories
from tests.agreements.conftest import casmemg, ipcas_reviewer, professor, student  # noqa: F401
from tests.downloads.conftest import (  # noqa: F401
    _no_proxy_env,
    licence,
    member,
    signing_key_file,
    variant,
)


def bearer(user, scope=ApiToken.Scope.WRITE) -> dict:
    token = api_token_create(user=user, name="review", scope=scope)
    return {"HTTP_AUTHORIZATION": f"Bearer {token.secret}"}


@pytest.fixture
def data_manager(custodian):
    return factories.StaffFactory(custodian=custodian, data_manager=True).user
