"""The download journal (accord.audit.journal). On PostgreSQL, as for events, the database
refuses what the journal never does: DELETE, and any UPDATE but setting a row's seal once
(``seal_seq`` from NULL) or erasing its address and browser (blanked with the salt, stamped
``erased``); verify catches anything done by a role that may disable the trigger. SQLite has
no comparable guard (as for events); the sealed batches cover both."""

from django.db import migrations, models

CREATE = """
CREATE OR REPLACE FUNCTION accord_audit_journal_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
        OR (NEW.id, NEW.created, NEW.event_type, NEW.actor_id, NEW.target_type,
            NEW.target_id, NEW.target_label, NEW.custodian_id, NEW.dataset_id,
            NEW.licence_id, NEW.link_id, NEW.bytes, NEW.details::text, NEW.payload)
           IS DISTINCT FROM
           (OLD.id, OLD.created, OLD.event_type, OLD.actor_id, OLD.target_type,
            OLD.target_id, OLD.target_label, OLD.custodian_id, OLD.dataset_id,
            OLD.licence_id, OLD.link_id, OLD.bytes, OLD.details::text, OLD.payload)
        OR (OLD.seal_seq IS NOT NULL AND NEW.seal_seq IS DISTINCT FROM OLD.seal_seq)
        OR ((NEW.salt, NEW.ip_address, NEW.user_agent, NEW.erased)
               IS DISTINCT FROM (OLD.salt, OLD.ip_address, OLD.user_agent, OLD.erased)
            AND (NEW.erased IS NULL OR NEW.salt <> '' OR NEW.ip_address <> ''
                 OR NEW.user_agent <> '')) THEN
        RAISE EXCEPTION 'the download journal is append-only: % refused on audit_journalentry',
            TG_OP USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_journal_append_only ON audit_journalentry;
CREATE TRIGGER audit_journal_append_only
    BEFORE UPDATE OR DELETE ON audit_journalentry
    FOR EACH ROW EXECUTE FUNCTION accord_audit_journal_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_journal_append_only ON audit_journalentry;
DROP FUNCTION IF EXISTS accord_audit_journal_append_only();
"""


def _run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0005_personal_out_of_events"),
    ]

    operations = [
        migrations.CreateModel(
            name="JournalEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created", models.DateTimeField(db_index=True)),
                ("event_type", models.CharField(max_length=100)),
                ("actor_id", models.BigIntegerField(blank=True, db_index=True, null=True)),
                ("target_type", models.CharField(blank=True, max_length=100)),
                ("target_id", models.CharField(blank=True, max_length=64)),
                ("target_label", models.CharField(blank=True, max_length=300)),
                ("custodian_id", models.BigIntegerField(blank=True, db_index=True, null=True)),
                ("dataset_id", models.BigIntegerField(blank=True, null=True)),
                ("licence_id", models.BigIntegerField(blank=True, null=True)),
                ("link_id", models.BigIntegerField(blank=True, db_index=True, null=True)),
                ("bytes", models.BigIntegerField(default=0)),
                ("details", models.JSONField(blank=True, default=dict)),
                ("payload", models.TextField()),
                ("ip_address", models.CharField(blank=True, max_length=45)),
                ("user_agent", models.CharField(blank=True, max_length=300)),
                ("salt", models.CharField(blank=True, max_length=32)),
                ("erased", models.DateTimeField(blank=True, null=True)),
                ("seal_seq", models.BigIntegerField(blank=True, db_index=True, null=True)),
            ],
            options={
                "ordering": ["id"],
            },
        ),
        migrations.RunPython(_run(CREATE), _run(DROP), elidable=False),
    ]
