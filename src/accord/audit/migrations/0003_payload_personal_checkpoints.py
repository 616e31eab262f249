"""Schema for stored payloads, personal fields beside the chain and signed checkpoints.

Existing events get ``version`` 1 (their payload is filled by 0004 from the form they were
hashed in); new events default to 2."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_trigger"),
    ]

    operations = [
        migrations.RenameField(model_name="event", old_name="target_repr", new_name="target_label"),
        migrations.AddField(
            model_name="event",
            name="version",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="event",
            name="payload",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AddField(
            model_name="event",
            name="mac",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="audithead",
            name="checkpoint_due",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="audithead",
            name="checkpointed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name="EventPersonal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        choices=[("actor", "Actor"), ("target", "Target")], max_length=6
                    ),
                ),
                ("subject_id", models.BigIntegerField(blank=True, db_index=True, null=True)),
                ("salt", models.CharField(blank=True, max_length=32)),
                ("email", models.CharField(blank=True, db_index=True, max_length=254)),
                ("ip_address", models.CharField(blank=True, max_length=45)),
                ("user_agent", models.CharField(blank=True, max_length=300)),
                ("label", models.CharField(blank=True, max_length=300)),
                ("erased", models.DateTimeField(blank=True, null=True)),
                (
                    "event",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="personal",
                        to="audit.event",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("event", "role"), name="uniq_audit_personal_role"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Checkpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveBigIntegerField(unique=True)),
                ("seq", models.BigIntegerField()),
                ("head_hash", models.CharField(max_length=64)),
                ("created", models.DateTimeField()),
                ("prev_hash", models.CharField(max_length=64)),
                ("key_id", models.CharField(max_length=16)),
                ("statement", models.TextField()),
                ("signature", models.CharField(max_length=100)),
                ("hash", models.CharField(max_length=64, unique=True)),
            ],
            options={
                "ordering": ["number"],
            },
        ),
    ]
