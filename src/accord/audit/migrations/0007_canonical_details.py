"""Event details are written as canonical JSON (the bytes the payload holds), so verify
compares the column with the payload as text (accord.audit.segments). On SQLite, where the
column is text, existing events' details are rewritten in that form: the same JSON value,
without the spaces json.dumps put after separators (their hashed payloads are untouched).
PostgreSQL keeps jsonb, which has no text form to rewrite."""

import json

from django.db import migrations, models

import accord.audit.models

BATCH = 5000


def canonical_details(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT id, details FROM audit_event WHERE id > %s ORDER BY id LIMIT %s",
                [last, BATCH],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            changed = []
            for pk, text in rows:
                try:
                    value = json.loads(text)
                except (TypeError, ValueError):
                    continue  # not JSON: left for verify to report
                canonical = json.dumps(
                    value, sort_keys=True, separators=(",", ":"), ensure_ascii=True
                )
                if canonical != text:
                    changed.append((canonical, pk))
            if changed:
                cursor.executemany("UPDATE audit_event SET details = %s WHERE id = %s", changed)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0006_download_journal"),
    ]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="details",
            field=models.JSONField(
                blank=True, default=dict, encoder=accord.audit.models.CanonicalJSONEncoder
            ),
        ),
        migrations.RunPython(canonical_details, migrations.RunPython.noop, elidable=False),
    ]
