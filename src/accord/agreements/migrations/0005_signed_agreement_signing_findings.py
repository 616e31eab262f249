from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0004_signed_agreement_version_status"),
    ]

    operations = [
        migrations.AddField(
            model_name="signedagreement",
            name="signing_findings",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="What the intake read about the signing (see pdf.signatures): "
                "'regions', the ink found where the signer signs, dates and ticks; "
                "'digital_signatures', PAdES signatures as validated; 'generated_text', the "
                "file is the generated agreement itself rather than a scan. Empty for uploads "
                "from before these checks.",
            ),
        ),
    ]
