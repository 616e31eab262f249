"""Fill each existing event's payload with the exact bytes its hash was computed over (the
canonical JSON of its fields, as the verifier of the time rebuilt it), so old chains still
verify, and copy its personal fields into EventPersonal so pages, exports and erasure read
them from one place.

The canonical form is frozen here on purpose: it is the historical format (version 1) and
must never follow later changes to accord.audit.services. Those payloads keep the actor's
email, address and user agent in clear: erasure blanks the copies beside the chain and counts
these events, as it cannot change hashed bytes."""

import json
from datetime import UTC

from django.conf import settings
from django.db import migrations

BATCH = 2000


def _canonical_v1(fields):
    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def _v1_fields(event):
    return {
        "seq": event.seq,
        "event_type": event.event_type,
        "created": event.created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": event.actor_id,
        "actor_repr": event.actor_repr,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_repr": event.target_label,  # renamed by 0003
        "custodian_id": event.custodian_id,
        "dataset_id": event.dataset_id,
        "licence_id": event.licence_id,
        "ip_address": event.ip_address,
        "user_agent": event.user_agent,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }


def _person_target(apps, target_type, target_id, cache):
    """(is a person, who) for a target type, by the same rule as audit_record."""
    if target_type == settings.AUTH_USER_MODEL.lower():
        return True, int(target_id) if target_id.isdigit() else None
    if target_type not in cache:
        try:
            model = apps.get_model(target_type)
        except (LookupError, ValueError):
            model = None
        names = {f.name for f in model._meta.concrete_fields} if model is not None else set()
        cache[target_type] = (model, "user" in names, "user" in names or "email" in names)
    model, has_user, is_person = cache[target_type]
    subject = None
    if has_user and target_id.isdigit():
        subject = model.objects.filter(pk=int(target_id)).values_list("user_id", flat=True).first()
    return is_person, subject


def _triggers(schema_editor, action):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE audit_event {action} TRIGGER audit_event_append_only", params=None
        )


def forward(apps, schema_editor):
    Event = apps.get_model("audit", "Event")
    EventPersonal = apps.get_model("audit", "EventPersonal")
    cache = {}
    _triggers(schema_editor, "DISABLE")
    last = 0
    while True:
        # Batches by seq, never a cursor over rows being updated.
        batch = list(Event.objects.filter(seq__gt=last, payload="").order_by("seq")[:BATCH])
        if not batch:
            break
        last = batch[-1].seq
        _fill(batch, EventPersonal, apps, cache)
    _triggers(schema_editor, "ENABLE")


def _fill(batch, EventPersonal, apps, cache):
    Event = type(batch[0])
    personal = []
    for event in batch:
        event.payload = _canonical_v1(_v1_fields(event))
        event.version = 1
        if event.actor_id or event.actor_repr or event.ip_address or event.user_agent:
            personal.append(
                EventPersonal(
                    event_id=event.id,
                    role="actor",
                    subject_id=event.actor_id,
                    email=event.actor_repr,
                    ip_address=event.ip_address or "",
                    user_agent=event.user_agent,
                )
            )
        if event.target_type:
            is_person, subject = _person_target(apps, event.target_type, event.target_id, cache)
            if is_person:
                personal.append(
                    EventPersonal(
                        event_id=event.id,
                        role="target",
                        subject_id=subject,
                        label=event.target_label,
                    )
                )
                event.target_label = ""
    Event.objects.bulk_update(batch, ["payload", "version", "target_label"])
    EventPersonal.objects.bulk_create(personal)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_payload_personal_checkpoints"),
    ]

    operations = [
        migrations.RunPython(forward, migrations.RunPython.noop, elidable=False),
    ]
