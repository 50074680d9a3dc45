# The history of one outreach listing is a ListingEvent: "outreach event" names village tours and market-day
# booths (intake.OutreachEvent).

from django.conf import settings
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("discovery", "0005_withdrawals"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel(old_name="OutreachEvent", new_name="ListingEvent"),
    ]
