"""/healthz answers 200 with the database reachable and 503 without it."""

import json
import os
import subprocess
import sys

import pytest


@pytest.mark.django_db
def test_healthz_answers_ok_when_database_is_reachable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


PROBE = """
import json, os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "accord.settings"
django.setup()
from django.test import Client
r = Client().get("/healthz", HTTP_HOST="127.0.0.1")
print(json.dumps({"status": r.status_code, "body": json.loads(r.content)}))
"""


def test_healthz_answers_503_when_database_is_unreachable(tmp_path):
    env = {
        **os.environ,
        # a real PostgreSQL URL on a port where nothing listens
        "ACCORD_DATABASE_URL": "postgres://postgres@127.0.0.1:9/nothing-listens-here",
        "ACCORD_DATA_DIR": str(tmp_path),
        "ACCORD_ALLOWED_HOSTS": "127.0.0.1",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    assert answer["body"]["database"] == "unreachable"
