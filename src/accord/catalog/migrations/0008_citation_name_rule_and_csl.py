"""Datasets say how publications must name the data; required citations store their reference
as a CSL-JSON item (filled in here from the stored BibTeX)."""

from django.db import migrations, models


def csl_from_stored_bibtex(apps, schema_editor):
    # The parser is the one the admin and the generator use; a BibTeX it cannot read yields
    # a bare item, and the generator falls back to the stored BibTeX until staff fix it.
    from accord.catalog.citations import csl_from_bibtex

    RequiredCitation = apps.get_model("catalog", "RequiredCitation")
    for citation in RequiredCitation.objects.filter(csl={}):
        item = csl_from_bibtex(citation.bibtex)
        if citation.doi and not item.get("DOI"):
            item["DOI"] = citation.doi
        citation.csl = item
        citation.save(update_fields=["csl"])


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0007_dataset_application_retention"),
    ]

    operations = [
        migrations.AddField(
            model_name="dataset",
            name="citation_name",
            field=models.CharField(
                blank=True,
                help_text="The exact name publications must use for the data. Empty: no rule.",
                max_length=100,
            ),
        ),
        migrations.AddField(
            model_name="dataset",
            name="citation_name_rule",
            field=models.TextField(
                blank=True,
                help_text="The naming rule as shown to authors, one sentence in the terms' words.",
            ),
        ),
        migrations.AddField(
            model_name="requiredcitation",
            name="csl",
            field=models.JSONField(
                blank=True, default=dict, help_text="The reference as a CSL-JSON item."
            ),
        ),
        migrations.AlterField(
            model_name="requiredcitation",
            name="bibtex",
            field=models.TextField(
                help_text="The reference as BibTeX; read only when the CSL-JSON below is empty."
            ),
        ),
        migrations.RunPython(csl_from_stored_bibtex, migrations.RunPython.noop),
    ]
