"""accord keys: create the two Ed25519 keys before the first start, and show their fingerprints.

    accord keys create    create ACCORD_SIGNING_KEY_FILE and ACCORD_AUDIT_KEY_FILE (mode 0600)
                          where they do not exist yet; an existing key is never replaced
    accord keys show      each key's file and fingerprint, to compare across app machines

Both keys are otherwise created on first use. On one machine that is enough; a second app
machine started without a copy would make keys of its own, and then manifests and audit MACs
disagree (deploy/README.md, scaling out). Creating them here, once, before `check --deploy`,
makes the copy an explicit step.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from accord.core.keys import ed25519_key_file, key_id

KEYS = (
    ("signing", "ACCORD_SIGNING_KEY_FILE", "SIGNING_KEY_FILE"),
    ("audit", "ACCORD_AUDIT_KEY_FILE", "AUDIT_KEY_FILE"),
)


class Command(BaseCommand):
    help = "Create the signing and audit keys if missing (create), or show their fingerprints."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "show"])

    def handle(self, *args, action: str, **options):
        for name, variable, setting in KEYS:
            path = Path(getattr(settings, setting))
            existed = path.exists()
            if action == "show" and not existed:
                self.stdout.write(f"{name} key: none at {path} ({variable})")
                continue
            try:
                key = ed25519_key_file(path, setting=variable, create=action == "create")
            except (ImproperlyConfigured, OSError) as exc:
                raise CommandError(f"The {name} key at {path} cannot be used: {exc}") from exc
            state = "exists" if existed else "created"
            if action == "show":
                state = "present"
            self.stdout.write(
                f"{name} key: {state} at {path} ({variable}), "
                f"fingerprint {key_id(key.public_key())}"
            )
        if action == "create":
            self.stdout.write(
                "Keep both readable by accord alone, copy them (unchanged) to every other app "
                "machine before it starts, and escrow the audit key apart from the database "
                "backups."
            )
