from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_dataset_licence_lifecycle_policy"),
    ]

    operations = [
        migrations.AddField(
            model_name="clause",
            name="mechanisms",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Enforcement mechanisms this clause relies on (keys, e.g. malware-scan).",
            ),
        ),
    ]
