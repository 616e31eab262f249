from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="licenseversion",
            name="published_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="subject",
            name="withdrawal_reason",
            field=models.TextField(
                blank=True,
                help_text="Why consent was withdrawn, for the custodian's staff only (never shown).",
            ),
        ),
    ]
