"""Outreach beyond the data (docs/process.md step 1): events where officers meet residents — village tours and
market-day booths (찾아가는 복지상담) — and survey campaigns (전수조사) that sweep a group of the registry.

Both feed the dong's worklist without changing its table: an event's contact and a campaign's target point at the
`WorkItem` they opened (from their own side), so that the worklist stays one list whatever found the household.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dolbom.intake.models.work import WorkItem
from dolbom.registry.models import AdministrativeArea, Agency, Household


class EventKind(models.TextChoices):
    VILLAGE_TOUR = "village_tour", _("Village tour")
    MARKET_BOOTH = "market_booth", _("Market-day booth")
    OTHER = "other", pgettext_lazy("outreach event kind", "Other")


class OutreachEvent(models.Model):
    """One village tour or market-day booth: where and when, who took part, and what it gave."""

    district = models.ForeignKey(
        AdministrativeArea, on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    dongs = models.ManyToManyField(AdministrativeArea, related_name="outreach_events", verbose_name=_("dongs"))
    kind = models.CharField(_("kind"), max_length=14, choices=EventKind.choices)
    held_on = models.DateField(_("date"), db_index=True)
    place = models.CharField(_("place"), max_length=200)
    agencies = models.ManyToManyField(Agency, related_name="+", blank=True, verbose_name=_("agencies taking part"))
    visitors = models.PositiveIntegerField(_("visitors"), default=0)
    consultations = models.PositiveIntegerField(_("consultations held"), default=0)
    help_count = models.PositiveIntegerField(_("help given (count)"), default=0)
    help_won = models.PositiveBigIntegerField(_("help given (won)"), default=0)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("outreach event")
        verbose_name_plural = _("outreach events")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_on:%Y-%m-%d}"


class EventContact(models.Model):
    """A household met at an event: a registered one, or a person not yet registered, kept to the minimum (a
    masked name, the dong, what they asked)."""

    event = models.ForeignKey(OutreachEvent, on_delete=models.PROTECT, related_name="contacts")
    dong = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="+", verbose_name=_("dong"))
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("household")
    )
    masked_name = models.CharField(_("name (masked)"), max_length=40, blank=True)
    asked = models.TextField(_("what they asked"))
    follow_up = models.BooleanField(_("needs follow-up"), default=False)
    work_item = models.OneToOneField(
        WorkItem, on_delete=models.PROTECT, null=True, blank=True, related_name="event_contact"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("event contact")
        verbose_name_plural = _("event contacts")
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="event_contact_is_someone",
                condition=Q(household__isnull=False) | ~Q(masked_name=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk}"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Not yet launched")
    LAUNCHED = "launched", _("Launched")


class SurveyCampaign(models.Model):
    """A sweep over a group of the registry (전수조사): the criteria say who; launching it puts each household on
    its dong's worklist. Every criterion set narrows the group; those left empty do not."""

    district = models.ForeignKey(
        AdministrativeArea, on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    dong = models.ForeignKey(
        AdministrativeArea, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("dong (empty: the whole district)"),
    )  # fmt: skip
    name = models.CharField(_("name"), max_length=100)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    elderly_alone = models.BooleanField(_("elderly living alone (65 or older, one-person household)"), default=False)
    disabled_only = models.BooleanField(_("households whose members all have a registered disability"), default=False)
    address_text = models.CharField(_("road-name address contains"), max_length=200, blank=True)
    building = models.CharField(_("building (unit starts with)"), max_length=40, blank=True)
    min_age = models.PositiveSmallIntegerField(_("a member aged at least"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("a member aged at most"), null=True, blank=True)
    min_size = models.PositiveSmallIntegerField(_("household of at least (persons)"), null=True, blank=True)
    max_size = models.PositiveSmallIntegerField(_("household of at most (persons)"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    launched_at = models.DateTimeField(_("launched at"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey campaign")
        verbose_name_plural = _("survey campaigns")
        ordering = ["-starts_on", "-pk"]

    def __str__(self) -> str:
        return self.name


class CampaignTarget(models.Model):
    """One household of a launched campaign, on its dong's checklist through its worklist item."""

    campaign = models.ForeignKey(SurveyCampaign, on_delete=models.PROTECT, related_name="targets")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    dong = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="+")
    work_item = models.OneToOneField(WorkItem, on_delete=models.PROTECT, related_name="campaign_target")

    class Meta:
        verbose_name = _("campaign target")
        verbose_name_plural = _("campaign targets")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "household"], name="one_target_per_household_per_campaign")
        ]
        indexes = [models.Index(fields=["campaign", "dong"])]

    def __str__(self) -> str:
        return f"{self.campaign} #{self.pk}"
