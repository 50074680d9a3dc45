"""Service linkage (서비스 연계), closed loop: a request to a provider that is answered (accepted or declined), then
delivered once or periodically, then ended, each with its won value (환가액) and its public or private source. Every
step is a `LinkageStep` row; only the moves of `LINKAGE_MOVES` are possible, so a delivery before an acceptance
cannot be written. A private partner answers on its own pages and sees a linkage only while the household's
consent to share with it stands."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dolbom.cases.models.cases import Case
from dolbom.cases.models.plans import Goal
from dolbom.core.needs import NeedDomain
from dolbom.registry.models import Agency, Household, Sector


class LinkageState(models.TextChoices):
    REQUESTED = "requested", _("Requested: waiting for an answer")
    ACCEPTED = "accepted", pgettext_lazy("linkage state", "Accepted")
    DECLINED = "declined", pgettext_lazy("linkage state", "Declined")
    DELIVERING = "delivering", _("Being delivered")
    ENDED = "ended", pgettext_lazy("linkage state", "Ended")
    CANCELLED = "cancelled", pgettext_lazy("linkage state", "Cancelled")


class LinkageMove(models.TextChoices):
    REQUEST = "request", pgettext_lazy("linkage move", "Requested")
    ACCEPT = "accept", pgettext_lazy("linkage move", "Accepted")
    DECLINE = "decline", pgettext_lazy("linkage move", "Declined")
    DELIVER = "deliver", pgettext_lazy("linkage move", "Delivered")
    END = "end", pgettext_lazy("linkage move", "Ended")
    CANCEL = "cancel", pgettext_lazy("linkage move", "Cancelled")


LINKAGE_MOVES: dict[tuple[str, str], str] = {
    ("", LinkageMove.REQUEST): LinkageState.REQUESTED,
    (LinkageState.REQUESTED, LinkageMove.ACCEPT): LinkageState.ACCEPTED,
    (LinkageState.REQUESTED, LinkageMove.DECLINE): LinkageState.DECLINED,
    (LinkageState.REQUESTED, LinkageMove.CANCEL): LinkageState.CANCELLED,
    (LinkageState.ACCEPTED, LinkageMove.DELIVER): LinkageState.DELIVERING,
    (LinkageState.DELIVERING, LinkageMove.DELIVER): LinkageState.DELIVERING,
    (LinkageState.ACCEPTED, LinkageMove.END): LinkageState.ENDED,
    (LinkageState.DELIVERING, LinkageMove.END): LinkageState.ENDED,
}
OPEN_LINKAGE_STATES = frozenset({LinkageState.REQUESTED, LinkageState.ACCEPTED, LinkageState.DELIVERING})


class Frequency(models.TextChoices):
    ONCE = "once", _("Once")
    PERIODIC = "periodic", _("Periodically")


class Linkage(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="linkages")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="linkages")
    goal = models.ForeignKey(
        Goal, on_delete=models.PROTECT, null=True, blank=True, related_name="linkages", verbose_name=_("goal")
    )
    domain = models.CharField(_("domain"), max_length=20, choices=NeedDomain.choices)
    # The provider: an agency of Dolbom (it then answers on its own pages), or one named by hand that the lead
    # worker answers for.
    provider = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="linkages",
        verbose_name=_("provider"),
    )  # fmt: skip
    provider_name = models.CharField(_("provider (not in the list)"), max_length=100, blank=True)
    # The service of the resource directory it was picked from, when it was (provider, name, sector and planned
    # value are then copied from it, and stay as they were on the request if the directory changes later). A
    # string reference: case management reads the directory only through resources' selectors.
    directory_service = models.ForeignKey(
        "resources.Service", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("service in the directory"),
    )  # fmt: skip
    service = models.CharField(_("service"), max_length=200)
    sector = models.CharField(_("public or private"), max_length=8, choices=Sector.choices)
    frequency = models.CharField(_("frequency"), max_length=8, choices=Frequency.choices)
    planned_won = models.PositiveBigIntegerField(_("planned value (won)"), default=0)
    state = models.CharField(_("state"), max_length=10, choices=LinkageState.choices)
    requested_on = models.DateField(_("requested on"))
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    delivered_won = models.PositiveBigIntegerField(_("value delivered (won)"), default=0)
    note = models.TextField(_("note"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("service linkage")
        verbose_name_plural = _("service linkages")
        ordering = ["-requested_on", "-pk"]
        indexes = [models.Index(fields=["state", "requested_on"])]

    def __str__(self) -> str:
        return self.service

    @property
    def provider_label(self) -> str:
        return self.provider.name if self.provider_id else self.provider_name

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_LINKAGE_STATES


class LinkageStep(models.Model):
    """One move of a linkage; a delivery carries its date and won value."""

    linkage = models.ForeignKey(Linkage, on_delete=models.PROTECT, related_name="steps")
    move = models.CharField(_("step"), max_length=8, choices=LinkageMove.choices)
    from_state = models.CharField(max_length=10, choices=LinkageState.choices, blank=True)
    to_state = models.CharField(max_length=10, choices=LinkageState.choices)
    on = models.DateField(_("date"))
    won = models.PositiveBigIntegerField(_("value (won)"), default=0)
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("linkage step")
        verbose_name_plural = _("linkage steps")
        ordering = ["linkage", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.linkage} {self.get_move_display()}"
