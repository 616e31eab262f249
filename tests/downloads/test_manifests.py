"""Signed manifests and the portal's signing key."""

from __future__ import annotations

import json
import stat

import pytest
from django.urls import reverse

from accord.client.manifest import ManifestError, load_public_key, verify_document
from accord.downloads.signing import public_key_pem
from tests.downloads.test_links import bearer

pytestmark = pytest.mark.django_db


def fetch_manifest(client, user) -> bytes:
    response = client.get(reverse("api:get_manifest", kwargs={"slug": "smic-e"}), **bearer(user))
    assert response.status_code == 200
    return response.content


def test_signing_key_is_created_once_private(licence, signing_key_file):
    first = public_key_pem()
    assert stat.S_IMODE(signing_key_file.stat().st_mode) == 0o600
    assert public_key_pem() == first


def test_manifest_lists_every_file_and_verifies(client, licence, member, variant):
    data = fetch_manifest(client, member)
    manifest = verify_document(data, load_public_key(public_key_pem()))
    assert manifest["variant"] == {"slug": "smic-e", "name": "SMIC-E", "release": "1.0"}
    assert manifest["licence"]["reference"] == licence.reference
    assert manifest["licensee"]["email"] == member.email
    assert manifest["license_version"]["version"] == licence.license_version.version
    assert {f["path"]: f["sha256"] for f in manifest["files"]} == {
        f.path: f.sha256 for f in variant.files.all()
    }
    assert manifest["total_size"] == sum(f.size for f in variant.files.all())


@pytest.mark.parametrize("position", [0.1, 0.5, 0.9])
def test_one_changed_byte_fails_verification(client, licence, member, position):
    data = bytearray(fetch_manifest(client, member))
    i = int(len(data) * position)
    data[i] = ord("#") if data[i] != ord("#") else ord("%")
    with pytest.raises(ManifestError):
        verify_document(bytes(data), load_public_key(public_key_pem()))


def test_re_signed_by_another_key_is_refused(client, licence, member, tmp_path, settings):
    data = fetch_manifest(client, member)
    real_key = load_public_key(public_key_pem())
    settings.SIGNING_KEY_FILE = tmp_path / "attacker.pem"
    forged = fetch_manifest(client, member)
    with pytest.raises(ManifestError, match="Signed by key"):
        verify_document(forged, real_key)
    assert verify_document(data, real_key)


def test_public_key_is_published(client, licence):
    pem = public_key_pem()
    assert client.get(reverse("downloads:signing_key")).content == pem
    assert client.get(reverse("api:signing_key")).content == pem


def test_manifest_refused_to_the_unentitled(client, licence, outsider):
    url = reverse("api:get_manifest", kwargs={"slug": "smic-e"})
    assert client.get(url, **bearer(outsider)).status_code == 404


def test_browser_manifest_download(client, licence, member):
    client.force_login(member)
    response = client.get(reverse("downloads:variant_manifest", args=["smic-e"]))
    assert response.status_code == 200
    assert "accord-manifest-smic-e.json" in response["Content-Disposition"]
    assert json.loads(response.content)["signature"]["alg"] == "Ed25519"
