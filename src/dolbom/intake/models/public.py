"""What the public report form keeps besides the referrals themselves: how many requests each address made in the
current hour, so that one address cannot flood the dong's worklist or guess receipt numbers."""

from __future__ import annotations

from django.db import models


class PublicRequestCount(models.Model):
    """Requests of one kind (`bucket`) from one address in one clock hour. The address is kept only as a keyed
    hash (`client`): the count needs to recognise an address, never to read it back."""

    bucket = models.CharField(max_length=12)
    client = models.CharField(max_length=32)
    window = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bucket", "client", "window"], name="public_count_once")]

    def __str__(self) -> str:
        return f"{self.bucket} {self.window:%Y-%m-%d %H}h: {self.count}"
