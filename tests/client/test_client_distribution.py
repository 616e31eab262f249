"""The researcher's client as its own distribution (client/pyproject.toml): built into a wheel,
pip-installed into an empty venv that has no Django, it fetches and verifies a variant.

Offline: the wheel is built with this venv's setuptools, and its dependencies (httpx, rich,
cryptography and theirs) are copied from this venv into the new one, where pip then finds
them already installed. Django is not among them, so the new venv has none."""

from __future__ import annotations

import email
import importlib.metadata
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from accord.accounts.services import api_token_create
from tests import factories
from tests.access.factories import licence_for, variant_with_files

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
FILES = {"emg/s01.csv": b"t,emg\n" + b"0.1,0.2\n" * 500, "README.txt": b"Synthetic.\n"}


def run(cmd, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "NO_PROXY": "*"}
    for name in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH", "VIRTUAL_ENV"):
        env.pop(name, None)  # the new venv sees only what was installed into it
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, **kwargs)


def build_wheel(tmp_path: Path) -> Path:
    # From a copy of the two folders it needs: the build writes its metadata next to them.
    tree = tmp_path / "source"
    skip = shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
    shutil.copytree(REPO / "client", tree / "client", ignore=skip)
    shutil.copytree(REPO / "src/accord/client", tree / "src/accord/client", ignore=skip)
    out = tmp_path / "wheels"
    result = run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index",
         "--no-build-isolation", "--wheel-dir", str(out), str(tree / "client")],
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = out.glob("accord_client-*.whl")
    return wheel


def requires(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        return email.message_from_bytes(zf.read(name)).get_all("Requires-Dist") or []


def copy_dependencies(requirements: list[str], site_packages: Path) -> set[str]:
    """Copies each required distribution (and what it requires, extras included) from this
    venv into site_packages, dist-info and all, as pip would have installed it."""
    done: set[str] = set()
    todo = [(Requirement(r), {""}) for r in requirements]
    while todo:
        req, parent_extras = todo.pop()
        if req.marker and not any(req.marker.evaluate({"extra": e}) for e in parent_extras):
            continue
        dist = importlib.metadata.distribution(req.name)
        key = dist.metadata["Name"].lower()
        if key in done:
            continue
        done.add(key)
        for file in dist.files or []:
            if file.parts[0] == "..":  # console scripts in bin/: not needed
                continue
            target = site_packages / file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(dist.locate_file(file), target)
        extras = {""} | set(req.extras)
        todo += [(Requirement(r), extras) for r in dist.requires or []]
    return done


@pytest.fixture(scope="module")
def client_venv(tmp_path_factory) -> Path:
    tmp_path = tmp_path_factory.mktemp("client-dist")
    wheel = build_wheel(tmp_path)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    site_packages = Path(
        run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip()
    )
    copied = copy_dependencies(requires(wheel), site_packages)
    assert "django" not in copied
    result = run([python, "-m", "pip", "install", "--no-index", str(wheel)])
    assert result.returncode == 0, result.stdout + result.stderr
    return env_dir


@pytest.fixture
def portal(live_portal, tmp_path, settings):
    settings.SIGNING_KEY_FILE = tmp_path / "server-key.pem"
    dataset = factories.DatasetFactory(slug="casmemg", name="CASMEMG")
    variant = variant_with_files(dataset, tmp_path, FILES, slug="casmemg-v1", name="CASMEMG")
    member = factories.UserFactory()
    licence_for(variants=[variant], members=[member])
    token_file = tmp_path / "token"
    token_file.write_text(api_token_create(user=member, name="laptop").secret + "\n")
    token_file.chmod(0o600)
    return live_portal.url, token_file


def test_client_venv_has_no_django(client_venv):
    result = run([client_venv / "bin" / "python", "-c", "import django"])
    assert result.returncode != 0
    assert "No module named 'django'" in result.stderr
    assert run([client_venv / "bin" / "python", "-m", "pip", "check"]).returncode == 0


def test_fetch_help_runs_from_the_client_alone(client_venv, tmp_path):
    result = run([client_venv / "bin" / "accord", "fetch", "--help"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "--token-file" in result.stdout
    assert list(tmp_path.iterdir()) == []  # nothing written where it ran


def test_client_alone_fetches_and_verifies_a_variant(client_venv, portal, tmp_path):
    url, token_file = portal
    accord = client_venv / "bin" / "accord"
    dest = tmp_path / "laptop" / "casmemg-v1"
    result = run(
        [accord, "fetch", "casmemg-v1", "--to", str(dest), "--portal", url,
         "--token-file", str(token_file)],
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    for path, content in FILES.items():
        assert (dest / path).read_bytes() == content

    manifest = dest / ".accord" / "manifest.json"
    result = run([accord, "manifest", "verify", str(manifest), "--data", str(dest)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "OK:" in result.stdout
    assert "2 files" in result.stdout
    assert "every file" in result.stdout
