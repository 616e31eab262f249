"""Licences and their members now belong to the licences app (which took over their tables
as they are: state only here, no row moves). AccessPolicy, which holds a dataset's
application-form settings, is called ApplicationRules: its table is renamed, its rows and the
form and member fields pointing at them stay."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0006_signed_agreement_malware_scan"),
        # Everything pointing at agreements.Licence points at licences.Licence first.
        ("licences", "0001_initial"),
        ("access", "0002_entitlement_licence_in_licences_app"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="LicenceMember"),
                migrations.DeleteModel(name="Licence"),
            ],
        ),
        migrations.RenameModel(old_name="AccessPolicy", new_name="ApplicationRules"),
        migrations.AlterModelOptions(
            name="applicationrules",
            options={"verbose_name_plural": "application rules"},
        ),
        migrations.AlterField(
            model_name="applicationrules",
            name="dataset",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="application_rules",
                to="catalog.dataset",
            ),
        ),
    ]
