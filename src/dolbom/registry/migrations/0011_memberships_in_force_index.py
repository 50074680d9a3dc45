from django.db import migrations, models


class Migration(migrations.Migration):
    """The index of a household's memberships by household and end date becomes one that also holds the start date,
    the person and the relationship: the memberships in force on a date and who they are, read from the index alone
    (a round's registry snapshot). It still serves every lookup of a household's members."""

    dependencies = [
        ("registry", "0010_registry_revision"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="membership", name="registry_me_househo_960ef6_idx"),
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(
                fields=["household", "moved_in", "moved_out", "person", "relationship"], name="memberships_in_force"
            ),
        ),
    ]
