from django.db import migrations, models


def keep_the_cut_of_models_in_use(apps, schema_editor):
    """A district whose rounds use a model checked before the gate measured the age-balanced cut keeps its lists
    cut by score: turning the cut on under it would refuse its next round. It turns the cut on once it chooses a
    model that passed with it."""
    ModelChoice = apps.get_model("discovery", "ModelChoice")
    ScreeningSettings = apps.get_model("discovery", "ScreeningSettings")
    for choice in ModelChoice.objects.select_related("scoring_model"):
        balanced = (choice.scoring_model.gate or {}).get("age_balanced") or {}
        if not balanced.get("passed"):
            ScreeningSettings.objects.update_or_create(district_id=choice.district_id, defaults={"age_balanced": False})


class Migration(migrations.Migration):
    dependencies = [
        ("discovery", "0009_reserved_share_and_item_selection"),
    ]

    operations = [
        migrations.AddField(
            model_name="screeningsettings",
            name="age_balanced",
            field=models.BooleanField(default=True, verbose_name="age-balanced cut"),
        ),
        migrations.RunPython(keep_the_cut_of_models_in_use, migrations.RunPython.noop),
    ]
