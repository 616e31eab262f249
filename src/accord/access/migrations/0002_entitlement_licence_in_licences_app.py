"""Entitlements point at licences.Licence (the model moved app, its table did not): a change
to Django's picture of the schema only, nothing in the database changes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_entitlements"),
        ("licences", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="entitlement",
                    name="licence",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="entitlements",
                        to="licences.licence",
                    ),
                ),
            ],
        ),
    ]
