from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_files_know_subjects_and_releases"),
    ]

    operations = [
        migrations.AddField(
            model_name="dataset",
            name="application_retention_days",
            field=models.PositiveIntegerField(
                blank=True,
                help_text=(
                    "Days after their last change that applications which did not become a "
                    "licence are deleted, with their answers and uploaded agreements: rejected "
                    "and withdrawn ones, and abandoned ones (a draft, or one returned for "
                    "changes, that nobody changed in that time). Submitted applications waiting "
                    "for review and approved ones are never deleted. Empty: the portal's "
                    "setting (ACCORD_APPLICATION_RETENTION_DAYS)."
                ),
                null=True,
            ),
        ),
        migrations.AddConstraint(
            model_name="dataset",
            constraint=models.CheckConstraint(
                condition=models.Q(("application_retention_days__isnull", True))
                | models.Q(("application_retention_days__gte", 1)),
                name="dataset_application_retention_at_least_a_day",
            ),
        ),
    ]
