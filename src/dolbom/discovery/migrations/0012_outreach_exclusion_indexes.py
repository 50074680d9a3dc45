from django.db import migrations, models


class Migration(migrations.Migration):
    """A round's exclusions (households on open items, households contacted within the cool-down) are found from the
    outreach items' side through these two indexes, instead of probing the items of every household of the
    district: their cost follows the open work and the recent outcomes, not the district's size."""

    dependencies = [
        ("discovery", "0011_screening_settings_balanced"),
        ("registry", "0010_registry_revision"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="outreachitem",
            index=models.Index(fields=["status", "household"], name="outreach_status_households"),
        ),
        migrations.AddIndex(
            model_name="outreachitem",
            index=models.Index(
                condition=models.Q(("outcome_on__isnull", False)),
                fields=["outcome_on", "household"],
                name="outreach_outcomes_by_date",
            ),
        ),
    ]
