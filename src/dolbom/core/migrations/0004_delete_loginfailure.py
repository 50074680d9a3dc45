"""Failed logins are counted by django-axes now (dolbom.core.login_throttle). The old per-user-name rows are
dropped: they only ever held the last minutes of failures, which the audit log keeps anyway."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_audit_keyed_links"),
    ]

    operations = [
        migrations.DeleteModel(name="LoginFailure"),
    ]
