"""Audit links become HMACs under DOLBOM_AUDIT_KEY; each event names its key (`key_id`).

Events already written keep their plain SHA-256 links and a NULL key id. One keyed event (`core.audit_keyed`) is
appended after them, so that the key covers them from now on and a chain made only of unkeyed links can be told
apart from this one (see core.audit). A nullable column without a default is added in place on SQLite (a table
rebuild would copy the whole log and drop the append-only triggers of 0002) and without a rewrite on PostgreSQL.
"""

from django.db import migrations, models


def seal(apps, schema_editor):
    from dolbom.core.audit import seal_unkeyed_events

    seal_unkeyed_events(apps.get_model("core", "AuditEvent"), apps.get_model("core", "AuditChainHead"))


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, max_length=16, null=True),
        ),
        # Going back leaves the keyed events in place, and the unkeyed verification of 0002 reports them as edited.
        migrations.RunPython(seal, migrations.RunPython.noop),
    ]
