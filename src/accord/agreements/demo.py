"""Demo access policies for SMIC and CASMEMG, as MISSION.md describes them. Called by the demo
loader after the catalogue exists; running it twice changes nothing."""

from __future__ import annotations

from django.db import transaction

from accord.catalog.models import Dataset

from .models import ApplicationField, ApplicationRules, MemberField

POLICIES = {
    "smic": {
        "policy": {
            "signer_title_required": True,
            "signer_role_help": (
                "The agreement must be signed by a group leader or professor with a fixed "
                "position; the signature covers everyone who reports to them (SMIC S3)."
            ),
            "members_allowed": True,
            "stored_filename_rule": "SMIC License Agreement {reference} _{signer_name}.pdf",
            "publications_required": True,
        },
        "fields": [
            ("position_fixed", "The signer holds a fixed (permanent) position", "checkbox",
             "", True, "SMIC requires a group leader or professor with a fixed position."),
            ("send_publications", "We will send the custodian an electronic copy of every "
             "paper that uses the data", "checkbox", "", True, "SMIC S4."),
        ],
        "member_fields": [],
    },
    "casmemg": {
        "policy": {
            "signer_title_required": True,
            "signer_role_help": (
                "Students and temporary staff cannot sign: their supervisor signs, using a "
                "fixed work email of the institution, and lists every student or employee "
                "with their competition registration ID (CASMEMG C2)."
            ),
            "members_allowed": True,
            "stored_filename_rule": "License Agreement for CASMEMG _{signer_name}.pdf",
            "publications_required": False,
        },
        "fields": [
            ("data_location", "Where the data will be kept (a safe place with limited access)",
             "long_text", "", True,
             "CASMEMG C3: never on a path others can reach."),
        ],
        "member_fields": [
            ("registration_id", "Competition registration ID", True),
        ],
    },
}  # fmt: skip


@transaction.atomic
def load_demo_agreements() -> None:
    for slug, spec in POLICIES.items():
        dataset = Dataset.objects.filter(slug=slug).first()
        if dataset is None:
            continue
        policy, _ = ApplicationRules.objects.update_or_create(
            dataset=dataset, defaults=spec["policy"]
        )
        for position, (key, label, kind, choices, required, help_text) in enumerate(spec["fields"]):
            ApplicationField.objects.update_or_create(
                policy=policy,
                key=key,
                defaults={
                    "label": label,
                    "kind": kind,
                    "choices": choices,
                    "required": required,
                    "help_text": help_text,
                    "position": position,
                },
            )
        for position, (key, label, required) in enumerate(spec["member_fields"]):
            MemberField.objects.update_or_create(
                policy=policy,
                key=key,
                defaults={"label": label, "required": required, "position": position},
            )
