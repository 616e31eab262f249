"""Licences move from the agreements app to their own: this migration only tells Django where
the models now live. Their tables keep their names (db_table), so nothing in the database
changes and every row stays where it was."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("agreements", "0006_signed_agreement_malware_scan"),
        ("catalog", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Licence",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("created", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("updated", models.DateTimeField(auto_now=True)),
                        ("reference", models.CharField(max_length=32, unique=True)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("active", "Active"),
                                    ("suspended", "Suspended"),
                                    ("revoked", "Revoked"),
                                    ("void", "Void (terms refused)"),
                                    ("expired", "Expired"),
                                ],
                                db_index=True,
                                default="active",
                                max_length=10,
                            ),
                        ),
                        ("granted_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("expires_at", models.DateTimeField(blank=True, null=True)),
                        ("ended_at", models.DateTimeField(blank=True, null=True)),
                        ("end_reason", models.TextField(blank=True)),
                        (
                            "application",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="licence",
                                to="agreements.application",
                            ),
                        ),
                        (
                            "dataset",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="licences",
                                to="catalog.dataset",
                            ),
                        ),
                        (
                            "license_version",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="licences",
                                to="catalog.licenseversion",
                            ),
                        ),
                        (
                            "signer",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="signed_licences",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "variants",
                            models.ManyToManyField(related_name="licences", to="catalog.variant"),
                        ),
                    ],
                    options={
                        "db_table": "agreements_licence",
                        "ordering": ["-granted_at"],
                    },
                ),
                migrations.CreateModel(
                    name="LicenceMember",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("created", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("updated", models.DateTimeField(auto_now=True)),
                        ("email", models.EmailField(max_length=254)),
                        ("full_name", models.CharField(max_length=200)),
                        (
                            "extra",
                            models.JSONField(
                                blank=True,
                                default=dict,
                                help_text="Dataset-specific member fields (e.g. registration ID).",
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("invited", "Invited"),
                                    ("active", "Active"),
                                    ("removed", "Removed"),
                                ],
                                db_index=True,
                                default="invited",
                                max_length=10,
                            ),
                        ),
                        ("accepted_at", models.DateTimeField(blank=True, null=True)),
                        ("removed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "accepted_license_version",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="catalog.licenseversion",
                            ),
                        ),
                        (
                            "licence",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="members",
                                to="licences.licence",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="licence_memberships",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "agreements_licencemember",
                        "ordering": ["licence", "full_name"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("licence", "email"), name="uniq_licence_member_email"
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
