"""What the household search needs to find a door and a phone number by an index: the unit of an address and the
middle four digits of a phone number as columns the database computes, the unit and the 통/반 indexed; names and
addresses stored before they were normalised on save are brought to their composed Korean form (NFC)."""

import unicodedata

import django.db.models.expressions
import django.db.models.functions.text
from django.db import migrations, models


# Conjoining jamo (U+1100–U+11FF, U+A960–U+A97F, U+D7B0–U+D7FF): a Korean text that holds any is decomposed.
DECOMPOSED = "[\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff]"


def compose(apps, schema_editor):
    """Only the rows holding decomposed jamo are read and rewritten: a registry loaded in composed form (all of it,
    in practice) costs one indexed-or-sequential filter per column, not a rewrite."""
    for model, fields in (("Person", ("name",)), ("Address", ("road_address", "detail"))):
        rows = apps.get_model("registry", model).objects
        for field in fields:
            for pk, value in rows.filter(**{f"{field}__regex": DECOMPOSED}).values_list("pk", field).iterator():
                composed = " ".join(unicodedata.normalize("NFC", value).split())
                rows.filter(pk=pk).update(**{field: composed})


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0006_verbose_names'),
    ]

    operations = [
        migrations.AddField(
            model_name='address',
            name='unit',
            field=models.GeneratedField(db_index=True, db_persist=True, expression=django.db.models.functions.text.Substr('detail', django.db.models.expressions.CombinedExpression(django.db.models.functions.text.StrIndex('detail', models.Value(' ')), '+', models.Value(1))), output_field=models.CharField(max_length=100)),
        ),
        migrations.AddField(
            model_name='person',
            name='phone_middle4',
            field=models.GeneratedField(db_index=True, db_persist=True, expression=django.db.models.functions.text.Substr('phone', django.db.models.expressions.CombinedExpression(django.db.models.functions.text.StrIndex('phone', models.Value('-')), '+', models.Value(1)), 4), output_field=models.CharField(max_length=4)),
        ),
        migrations.AlterField(
            model_name='address',
            name='detail',
            field=models.CharField(blank=True, db_index=True, max_length=100, verbose_name='unit'),
        ),
        migrations.AddIndex(
            model_name='address',
            index=models.Index(fields=['dong', 'tong', 'ban'], name='registry_address_tong'),
        ),
        migrations.AddIndex(
            model_name='address',
            index=models.Index(fields=['dong', 'road_address'], name='registry_address_dong_road'),
        ),
        migrations.RunPython(compose, migrations.RunPython.noop),
    ]
