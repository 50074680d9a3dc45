from django.db import migrations, models


class Migration(migrations.Migration):
    """The balanced cut now shares each dong's list across the head's age band and sex together, not the age band
    alone. The setting keeps each district's answer. A model checked before has no verdict for the new cut (its
    verdict is under the gate's old key) and is held back for it: the district's model rounds are refused, with the
    reason, until it trains a model again or turns the cut off; its scorecard rounds run as before."""

    dependencies = [
        ("discovery", "0010_screening_settings_age_balanced"),
    ]

    operations = [
        migrations.RenameField(model_name="screeningsettings", old_name="age_balanced", new_name="balanced"),
        migrations.AlterField(
            model_name="screeningsettings",
            name="balanced",
            field=models.BooleanField(default=True, verbose_name="balanced cut"),
        ),
    ]
