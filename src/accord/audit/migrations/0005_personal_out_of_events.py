"""The personal columns leave the event table (0004 copied them beside it); new events are
version 2. On PostgreSQL checkpoints become append-only like events, and personal-field rows
may only be erased (blanked and stamped), never deleted or rewritten; verify catches anything
done by a role that may disable these triggers. SQLite has no comparable guard."""

from django.db import migrations, models

CREATE = """
CREATE OR REPLACE FUNCTION accord_audit_checkpoint_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit checkpoints are append-only: % refused on audit_checkpoint', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_checkpoint_append_only ON audit_checkpoint;
CREATE TRIGGER audit_checkpoint_append_only
    BEFORE UPDATE OR DELETE ON audit_checkpoint
    FOR EACH ROW EXECUTE FUNCTION accord_audit_checkpoint_append_only();

CREATE OR REPLACE FUNCTION accord_audit_personal_erase_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
        OR NEW.erased IS NULL
        OR NEW.event_id <> OLD.event_id
        OR NEW.role <> OLD.role
        OR NEW.subject_id IS DISTINCT FROM OLD.subject_id
        OR NEW.salt <> '' OR NEW.email <> '' OR NEW.ip_address <> ''
        OR NEW.user_agent <> '' OR NEW.label <> '' THEN
        RAISE EXCEPTION 'audit personal fields may only be erased: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_personal_erase_only ON audit_eventpersonal;
CREATE TRIGGER audit_personal_erase_only
    BEFORE UPDATE OR DELETE ON audit_eventpersonal
    FOR EACH ROW EXECUTE FUNCTION accord_audit_personal_erase_only();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_checkpoint_append_only ON audit_checkpoint;
DROP FUNCTION IF EXISTS accord_audit_checkpoint_append_only();
DROP TRIGGER IF EXISTS audit_personal_erase_only ON audit_eventpersonal;
DROP FUNCTION IF EXISTS accord_audit_personal_erase_only();
"""


def _run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_fill_payloads"),
    ]

    operations = [
        migrations.RemoveField(model_name="event", name="actor_repr"),
        migrations.RemoveField(model_name="event", name="ip_address"),
        migrations.RemoveField(model_name="event", name="user_agent"),
        migrations.AlterField(
            model_name="event",
            name="version",
            field=models.PositiveSmallIntegerField(default=2),
        ),
        migrations.RunPython(_run(CREATE), _run(DROP), elidable=False),
    ]
