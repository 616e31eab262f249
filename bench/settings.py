"""Accord's settings plus the bench-only URLs (bench/urls.py): `make bench` runs gunicorn
with DJANGO_SETTINGS_MODULE=bench.settings. Never used by the product."""

from accord.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
