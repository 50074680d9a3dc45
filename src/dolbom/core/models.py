from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One line of the append-only audit log; `hash` chains it to the line before with a keyed MAC (core.audit)."""

    seq = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField(_("when"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(_("who"), max_length=150)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("record type"), max_length=64, blank=True)
    object_id = models.CharField(_("record"), max_length=64, blank=True)
    reason = models.TextField(_("why"), blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Fingerprint of the audit key whose HMAC made `hash`; NULL for events written before links were keyed
    # (plain SHA-256), which core.audit accepts only as the chain's first events.
    key_id = models.CharField(max_length=16, null=True, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["actor", "at"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.actor_name} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """The chain's last link. Locked while appending, so that concurrent writers form one chain; comparing it
    with the last event also reveals a truncated tail."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"audit chain head at #{self.seq}"
