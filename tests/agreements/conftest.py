import pytest

from tests import factories
from tests.agreements.factories import policy_dataset
from tests.downloads.conftest import licence, member, signing_key_file, variant  # noqa: F401 - fixtures


@pytest.fixture
def casmemg(other_custodian):
    """A CASMEMG-like dataset of IP-CAS (``other_custodian``)."""
    return policy_dataset(other_custodian)


@pytest.fixture
def ipcas_reviewer(other_staff):
    return other_staff


@pytest.fixture
def student(db):
    return factories.UserFactory(email="sam.student@uni-example.edu", full_name="Sam Student")


@pytest.fixture
def professor(db):
    return factories.UserFactory(email="prof.ada@uni-example.edu", full_name="Ada Lovelace")
