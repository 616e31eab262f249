from __future__ import annotations

import hashlib

import pytest

from accord.downloads import services
from accord.downloads.models import DownloadLink
from tests import factories
from tests.access.factories import licence_for, variant_with_files

# 3 MB and a bit of deterministic, incompressible-looking bytes.
BIG = hashlib.sha256(b"seed").digest() * (3 * 1024 * 1024 // 32) + b"tail-bytes"


@pytest.fixture
def signing_key_file(tmp_path, settings):
    settings.SIGNING_KEY_FILE = tmp_path / "keys" / "signing.pem"
    return settings.SIGNING_KEY_FILE


@pytest.fixture
def member(db):
    return factories.UserFactory(full_name="Mia Member")


@pytest.fixture
def variant(dataset, tmp_path):
    return variant_with_files(
        dataset,
        tmp_path,
        {"video/big.bin": BIG, "small.txt": b"0123456789", "empty.dat": b""},
        slug="smic-e",
        name="SMIC-E",
    )


@pytest.fixture
def licence(variant, member, signing_key_file):
    return licence_for(variants=[variant], members=[member])


@pytest.fixture
def big_file(variant):
    return variant.files.get(path="video/big.bin")


def issue(user, data_file, channel=DownloadLink.Channel.API) -> str:
    """The path of a fresh link for ``user`` to ``data_file``, usable with its secret alone
    (as the deprecated API GET issues them): for the tests of serving, ranges and refusals.
    Links bound to a session or a token are tested in test_link_binding.py."""
    return services.download_link_issue(
        user=user, file_id=data_file.pk, channel=channel, binding=DownloadLink.Binding.NONE
    ).path


def issue_bound(user, data_file) -> tuple[str, dict]:
    """A link bound to a new API token of ``user``, and the header that token goes in."""
    from accord.accounts.services import api_token_create

    issued = api_token_create(user=user, name="fetch")
    path = services.download_link_issue(
        user=user,
        file_id=data_file.pk,
        channel=DownloadLink.Channel.API,
        binding=DownloadLink.Binding.TOKEN,
        api_token=issued.token,
    ).path
    return path, {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}"}


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch):
    # httpx in tests talks to 127.0.0.1 servers; a proxy from the environment would break it.
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")


from tests.downloads.liveserver import live_portal  # noqa: E402, F401 - a fixture
