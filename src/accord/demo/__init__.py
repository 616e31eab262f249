"""Loads the demo catalogue and accounts. Idempotent: a second run changes nothing."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction

from accord.accounts.models import User
from accord.catalog.models import (
    Clause,
    Custodian,
    CustodianStaff,
    Dataset,
    LicenseVersion,
    PublicationRule,
    RequiredCitation,
    Subject,
    Variant,
)
from accord.catalog.services import IngestReport, variant_ingest
from accord.demo import synthetic
from accord.demo.catalogue import (
    ACCOUNTS,
    CUSTODIANS,
    DATASETS,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
)

# Other apps add their demo set-up here (called after the catalogue exists), if present.
EXTENSION_HOOKS = [
    "accord.agreements.demo:load_demo_agreements",
]

SYNTHETIC_TREES: dict[str, Callable[[Path], None]] = {
    "smic": lambda root: synthetic.smic_tree(
        root,
        subsets=["HS", "VIS", "NIR"],
        subjects=[1, 2, 3, 4, 6, 20],
        clips_per_emotion=1,
        frames=4,
        seed=11,
    ),
    "smic-sub": lambda root: synthetic.smic_tree(
        root, subsets=["HS"], subjects=[1, 2, 3, 6], clips_per_emotion=1, frames=4, seed=12
    ),
    "smic-e": lambda root: synthetic.smic_tree(
        root,
        subsets=["HS", "VIS", "NIR"],
        subjects=[1, 3, 4],
        clips_per_emotion=1,
        frames=10,
        seed=13,
    ),
    "casmemg": lambda root: synthetic.casmemg_tree(
        root, subjects=[1, 2, 3, 7], clips=2, seconds=1.5, seed=21
    ),
}


@transaction.atomic
def _load_catalogue() -> None:
    custodians = {}
    for data in CUSTODIANS:
        slug = data["slug"]
        custodians[slug], _ = Custodian.objects.update_or_create(
            slug=slug, defaults={k: v for k, v in data.items() if k != "slug"}
        )
    for data in DATASETS:
        dataset, _ = Dataset.objects.update_or_create(
            slug=data["slug"],
            defaults={
                "custodian": custodians[data["custodian"]],
                "name": data["name"],
                "short_name": data["short_name"],
                "citation_name": data["citation_name"],
                "citation_name_rule": data["citation_name_rule"],
                "summary": data["summary"],
                "description": data["description"],
                "modalities": data["modalities"],
                "is_published": True,
                "requires_affiliated_email": data["requires_affiliated_email"],
            },
        )
        variants = {}
        for v in data["variants"]:
            variants[v["slug"]], _ = Variant.objects.update_or_create(
                slug=v["slug"],
                defaults={**{k: x for k, x in v.items() if k != "slug"}, "dataset": dataset},
            )
        subjects = {}
        for code in data["subjects"]:
            subjects[code], _ = Subject.objects.get_or_create(dataset=dataset, code=code)
        rule_data = data["publication_rule"]
        rule, _ = PublicationRule.objects.update_or_create(
            dataset=dataset,
            variant=None,
            defaults={
                "mode": rule_data["mode"],
                "notice": rule_data["notice"],
                "conditions": rule_data["conditions"],
            },
        )
        rule.subjects.set([subjects[c] for c in rule_data["subjects"]])
        for position, c in enumerate(data["citations"]):
            citation, _ = RequiredCitation.objects.update_or_create(
                dataset=dataset,
                key=c["key"],
                defaults={
                    "text": c["text"],
                    "bibtex": c["bibtex"],
                    "csl": c["csl"],
                    "doi": c["doi"],
                    "position": position,
                },
            )
            citation.variants.set([variants[s] for s in c["variants"]])
        lic = data["license"]
        version, _ = LicenseVersion.objects.update_or_create(
            dataset=dataset,
            version=lic["version"],
            defaults={
                "title": lic["title"],
                "effective_date": lic["effective_date"],
                "status": LicenseVersion.Status.PUBLISHED,
            },
        )
        for position, (code, title, text, enforcement, how, mechanisms) in enumerate(
            lic["clauses"]
        ):
            Clause.objects.update_or_create(
                license_version=version,
                code=code,
                defaults={
                    "title": title,
                    "text": text,
                    "enforcement": enforcement,
                    "how_enforced": how,
                    "mechanisms": mechanisms,
                    "position": position,
                },
            )


@transaction.atomic
def _load_accounts() -> None:
    for data in ACCOUNTS:
        user = User.objects.filter(email=data["email"]).first()
        if user is None:
            user = User.objects.create_user(
                email=data["email"],
                password=DEMO_PASSWORD,
                full_name=data["full_name"],
                is_staff=bool(data.get("superuser")),
                is_superuser=bool(data.get("superuser")),
            )
        EmailAddress.objects.get_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        if data.get("staff_of") or data.get("superuser"):
            _ensure_demo_totp(user)
        if data.get("staff_of"):
            CustodianStaff.objects.get_or_create(
                custodian=Custodian.objects.get(slug=data["staff_of"]),
                user=user,
                defaults={"role": data["role"]},
            )


def _ensure_demo_totp(user) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)


def _run_hooks() -> list[str]:
    ran = []
    for spec in EXTENSION_HOOKS:
        module_name, func_name = spec.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        getattr(module, func_name)()
        ran.append(spec)
    return ran


def load_demo(source_root: Path | None = None) -> dict[str, IngestReport]:
    """Create or update the demo catalogue, accounts and synthetic files."""
    source_root = source_root or Path(settings.DATA_DIR) / "demo-source"
    _load_catalogue()
    _load_accounts()
    reports = {}
    for slug, build in SYNTHETIC_TREES.items():
        folder = source_root / slug
        build(folder)
        reports[slug] = variant_ingest(variant=Variant.objects.get(slug=slug), folder=folder)
    _run_hooks()
    return reports
