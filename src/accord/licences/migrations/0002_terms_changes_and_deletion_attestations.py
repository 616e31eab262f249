"""New terms a licence must accept or opt out of, and who must confirm deleting what, by when."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_dataset_licence_lifecycle_policy"),
        ("licences", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DeletionAttestation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated", models.DateTimeField(auto_now=True)),
                (
                    "reason",
                    models.CharField(
                        choices=[
                            ("opt_out", "Opted out of new terms"),
                            ("expired", "Licence expired"),
                            ("void", "Licence void"),
                            ("revoked", "Licence revoked"),
                            ("withdrawal", "Consent withdrawn"),
                        ],
                        max_length=12,
                    ),
                ),
                ("due_at", models.DateTimeField()),
                ("attested_at", models.DateTimeField(blank=True, null=True)),
                ("statement", models.TextField(blank=True)),
                ("reminded_count", models.PositiveSmallIntegerField(default=0)),
                ("escalated_at", models.DateTimeField(blank=True, null=True)),
                (
                    "files",
                    models.ManyToManyField(blank=True, related_name="+", to="catalog.datafile"),
                ),
                (
                    "licence",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="deletion_attestations",
                        to="licences.licence",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="deletion_attestations",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["due_at", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("reason", "withdrawal"), _negated=True),
                        fields=("licence", "user", "reason"),
                        name="uniq_deletion_attestation",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="TermsChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated", models.DateTimeField(auto_now=True)),
                ("notified_at", models.DateTimeField(blank=True, null=True)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting for the signer"),
                            ("accepted", "Accepted"),
                            ("opted_out", "Opted out"),
                            ("lapsed", "Not accepted by the effective date"),
                        ],
                        db_index=True,
                        default="pending",
                        max_length=10,
                    ),
                ),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "licence",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="terms_changes",
                        to="licences.licence",
                    ),
                ),
                (
                    "license_version",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="terms_changes",
                        to="catalog.licenseversion",
                    ),
                ),
                (
                    "previous_version",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="catalog.licenseversion",
                    ),
                ),
            ],
            options={
                "ordering": ["-created"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("licence", "license_version"), name="uniq_terms_change_per_version"
                    )
                ],
            },
        ),
    ]
