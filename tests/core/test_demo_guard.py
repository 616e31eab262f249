"""`accord demo` creates a superuser whose password and two-factor secret are published in
the README: it must never run on a production portal (DEBUG off)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from accord.accounts.models import User


def test_demo_refuses_to_run_on_a_production_portal(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.DEBUG = False

    with pytest.raises(CommandError, match="ACCORD_DEBUG=true"):
        call_command("demo")

    assert not User.objects.filter(is_superuser=True).exists()


def test_demo_loads_in_the_demo(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.DEBUG = True

    call_command("demo")

    assert User.objects.filter(is_superuser=True).exists()
