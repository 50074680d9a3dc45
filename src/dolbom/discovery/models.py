"""Discovery: crisis-signal files with their provenance, screening rounds, the outreach lists they produce, and
what officers found at the door (the labels the next model learns from).

Signal rows themselves live in Parquet files under DOLBOM_HOME/signals (columnar, for DuckDB and Spark); the
database keeps one row per file, so a file is part of the system exactly when its SignalFile row is committed.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dolbom.core.scope import city_of
from dolbom.registry.models import AdministrativeArea, AreaLevel, Household, Staff


class SignalFile(models.Model):
    """One delivered file of crisis signals: the district it was delivered to, who sent it, for which period, its
    hash (the same file twice is refused) and how many of its rows matched a resident of the district.

    A file belongs to the district that imported it: its rows are matched against that district's residents only,
    and only that district's rounds read it (docs/facts.md: national lists reach each 시군구 with its own residents).
    Files imported before files had a district have none and are read by no round.

    An import made by mistake can be withdrawn before a round used it (`services.signals.withdraw_signal_file`):
    its Parquet file is removed (it holds personal data), the row stays for the record with who withdrew it, when
    and why, no round reads it, and the same bytes may be imported again."""

    district = models.ForeignKey(
        AdministrativeArea, on_delete=models.PROTECT, null=True, related_name="signal_files", verbose_name=_("district")
    )
    agency_code = models.CharField(_("providing agency"), max_length=40)
    period = models.CharField(_("period"), max_length=7, help_text=_("YYYY-MM of the screening period"))
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=10)
    encoding = models.CharField(_("encoding"), max_length=12, blank=True)
    catalogue_version = models.CharField(max_length=20)
    rows = models.PositiveIntegerField(_("rows"))
    matched_rows = models.PositiveIntegerField(_("matched rows"))
    unmatched_rows = models.PositiveIntegerField(_("unmatched rows"))
    storage_path = models.CharField(max_length=500, help_text=_("Parquet file under DOLBOM_HOME"))
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawal_reason = models.TextField(_("reason for the withdrawal"), blank=True)

    class Meta:
        verbose_name = _("signal file")
        verbose_name_plural = _("signal files")
        ordering = ["-imported_at"]
        indexes = [models.Index(fields=["district", "period"])]
        constraints = [
            # Per district: another district importing the same bytes must neither fail nor learn of the import.
            # Withdrawn imports do not count, so that a file imported by mistake can be imported again.
            models.UniqueConstraint(
                fields=["district", "sha256"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_import_of_a_file_per_district",
            )
        ]

    def __str__(self) -> str:
        return f"{self.agency_code} {self.period} ({self.rows:,})"

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class Scorer(models.TextChoices):
    SCORECARD = "scorecard", _("Points scorecard")
    MODEL = "model", _("Learned model")


class RoundStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    # Run by mistake (the wrong period, too few files) and withdrawn before any visit was assigned from it.
    WITHDRAWN = "withdrawn", pgettext_lazy("round status", "Withdrawn")


class ModelKind(models.TextChoices):
    DISTRICT = "district", _("One district's outcomes")
    POOLED = "pooled", _("Pooled across the city's districts")


class ScoringModel(models.Model):
    """A learned model; its file lives under DOLBOM_HOME/models. A district model learns from one district's
    recorded outcomes; a pooled model (no district, a city) from those of the districts of the city that agreed to
    share them. `label_sources` says whose labels trained it; `gate` what the release gate measured on held-out
    rounds, for the lists cut by score and (under "balanced") in the balanced order. `gate_passed`: it
    passed with at least one cut; a district may use it only with a cut it passed with (learning.gate.gate_for)."""

    kind = models.CharField(max_length=10, choices=ModelKind.choices, default=ModelKind.DISTRICT)
    district = models.ForeignKey(
        AdministrativeArea, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("district")
    )
    city = models.ForeignKey(
        AdministrativeArea, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("city")
    )
    # [{district, rounds, labels, positives, agreement}] — agreement is the LabelSharingAgreement id (pooled).
    label_sources = models.JSONField(default=list)
    heldout_rounds = models.JSONField(default=list)
    gate = models.JSONField(default=dict)
    gate_passed = models.BooleanField(default=False)
    trained_at = models.DateTimeField(auto_now_add=True)
    trained_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    algorithm = models.CharField(max_length=60)
    path = models.CharField(max_length=500)
    training_rounds = models.JSONField(default=list)
    labels = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("scoring model")
        verbose_name_plural = _("scoring models")
        ordering = ["-trained_at"]

    def __str__(self) -> str:
        return f"{self.algorithm} #{self.pk}"

    def usable_by(self, district_code: str) -> bool:
        """A district's rounds may use its own models and its city's pooled ones, never another district's."""
        if self.kind == ModelKind.POOLED:
            return self.district_id is None and self.city_id == city_of(district_code)
        return self.district_id == district_code


class LabelSharingAgreement(models.Model):
    """A district's agreement to let the recorded outcomes of its rounds train its city's pooled models
    (데이터 공유 협약): from which date, approved by whom under which document. Only outcome labels and the
    features the rounds saw are shared, inside the city's own installation; no resident's record leaves the
    district's scope. An ended agreement keeps its row: the models trained while it held say so."""

    city = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    district = models.ForeignKey(
        AdministrativeArea, on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    shares_from = models.DateField(_("outcomes of rounds run from"))
    approved_by = models.CharField(_("approved by"), max_length=120)
    approved_on = models.DateField(_("approved on"))
    document = models.CharField(_("approval document"), max_length=120)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reason = models.TextField(_("reason for ending"), blank=True)

    class Meta:
        verbose_name = _("label-sharing agreement")
        verbose_name_plural = _("label-sharing agreements")
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["district"], condition=Q(ended_at__isnull=True), name="one_agreement_in_force_per_district"
            )
        ]

    def __str__(self) -> str:
        return f"{self.district_id} → {self.city_id} ({self.shares_from})"


class ModelChoice(models.Model):
    """Which learned model a district's rounds use: chosen by its administrator among the models that passed the
    gate (its own, or its city's pooled ones). The history of choices is in the audit log."""

    district = models.OneToOneField(AdministrativeArea, on_delete=models.PROTECT, primary_key=True, related_name="+")
    scoring_model = models.ForeignKey(ScoringModel, on_delete=models.PROTECT, related_name="+")
    chosen_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    chosen_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("model choice")
        verbose_name_plural = _("model choices")

    def __str__(self) -> str:
        return f"{self.district_id}: {self.scoring_model_id}"


class ScreeningRound(models.Model):
    """One run of the screening over the signals of a period (발굴 차수)."""

    district = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="screening_rounds")
    period = models.CharField(_("period"), max_length=7)
    scorer = models.CharField(_("scorer"), max_length=10, choices=Scorer.choices)
    scoring_model = models.ForeignKey(ScoringModel, on_delete=models.PROTECT, null=True, blank=True)
    scorecard_version = models.CharField(max_length=20, blank=True)
    engine = models.CharField(max_length=10, default="duckdb")
    status = models.CharField(_("status"), max_length=10, choices=RoundStatus.choices, default=RoundStatus.RUNNING)
    params = models.JSONField(default=dict, help_text=_("cool-down, capacities and files used"))
    stats = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    # The process that runs the round (core.processes): a round still "running" whose process is gone from this
    # host was cut off, and is ended at once instead of blocking the district for STALE_AFTER.
    runner_host = models.CharField(max_length=255, blank=True)
    runner_pid = models.PositiveIntegerField(null=True, blank=True)
    runner_started = models.CharField(max_length=64, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawal_reason = models.TextField(_("reason for the withdrawal"), blank=True)

    class Meta:
        verbose_name = _("screening round")
        verbose_name_plural = _("screening rounds")
        ordering = ["-started_at"]
        constraints = [
            # Two rounds of one district running at once would both list the same households before either
            # officer could assign them: the database refuses the second, whichever process starts it.
            models.UniqueConstraint(
                fields=["district"], condition=Q(status="running"), name="one_running_round_per_district"
            )
        ]

    def __str__(self) -> str:
        return f"{self.period} #{self.pk}"

    @property
    def signal_file_ids(self) -> list[int]:
        """The signal files the round read (recorded in its parameters when it started)."""
        return [int(i) for i in (self.params or {}).get("signal_file_ids", [])]


class Outcome(models.TextChoices):
    HELPED = "helped", _("Helped")
    REFERRED = "referred", _("Referred to a service")
    NOT_ELIGIBLE = "not_eligible", _("Not in need or not eligible")
    UNREACHABLE = "unreachable", _("Unreachable")
    REFUSED = "refused", _("Refused")
    MOVED = "moved", _("Moved away")
    DECEASED = "deceased", _("Deceased")


# Which outcomes say the household was in crisis (positive label) and which say it was not. Unreachable, moved and
# deceased say nothing about need, so they are not labels: learning from them would teach the model to find
# households that are easy to reach.
POSITIVE_OUTCOMES = {Outcome.HELPED, Outcome.REFERRED}
NEGATIVE_OUTCOMES = {Outcome.NOT_ELIGIBLE, Outcome.REFUSED}


class ItemStatus(models.TextChoices):
    PENDING = "pending", _("Not yet assigned")
    ASSIGNED = "assigned", _("Visit assigned")
    DONE = "done", _("Outcome recorded")
    # The round was withdrawn: the item is kept for the record and shown on no list. Set on the items themselves,
    # not only on the round, so that an officer assigning the item at the moment the round is withdrawn waits for
    # the withdrawal and then finds the item gone (the row lock is on the item, see services.rounds).
    WITHDRAWN = "withdrawn", pgettext_lazy("outreach item status", "Withdrawn with its round")


# The largest reserved share a district may set (percent of each dong's list): the rest stays the model's.
MAX_RESERVED_SHARE = 30
DEFAULT_RESERVED_SHARE = 10


class ScreeningSettings(models.Model):
    """The district's screening settings kept on the pages (the scorecard file keeps the points and the cool-down;
    each dong's visit capacity is on the dong).

    `reserved_share`: in a round screened with the learned model, the percentage of each dong's list kept for
    households the model ranks below the dong's cut but the scorecard or an open referral marks, drawn at random
    among them. The model learns only from the households earlier lists chose; these slots give it labels it did
    not choose itself (docs/screening.md, "Reserved share").

    `balanced`: in a round screened with the learned model, each dong's list is shared across strata of the head's
    age band and sex in proportion to the need the model expects in each (learning/balance.py; docs/screening.md,
    "Balanced cut"). On by default: a model's own top of a dong leaves whole groups behind."""

    district = models.OneToOneField(
        AdministrativeArea,
        on_delete=models.PROTECT,
        related_name="screening_settings",
        limit_choices_to={"level": AreaLevel.SIGUNGU},
        verbose_name=_("district"),
    )
    reserved_share = models.PositiveSmallIntegerField(
        _("reserved share (%)"), default=DEFAULT_RESERVED_SHARE, validators=[MaxValueValidator(MAX_RESERVED_SHARE)]
    )
    balanced = models.BooleanField(_("balanced cut"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        verbose_name = _("screening settings")
        verbose_name_plural = _("screening settings")

    def __str__(self) -> str:
        return str(self.district)


class Selection(models.TextChoices):
    """Why an item is on its list: the scorer's ranking, or a reserved slot drawn among the households the model
    ranked below the cut and the scorecard or a referral marked."""

    RANKED = "ranked", _("Ranked")
    RESERVED_SCORECARD = "reserved_scorecard", _("Exploration slot: scorecard's top")
    RESERVED_REFERRAL = "reserved_referral", _("Exploration slot: referral received")


RESERVED_SELECTIONS = {Selection.RESERVED_SCORECARD, Selection.RESERVED_REFERRAL}


class OutreachItem(models.Model):
    """A household on a dong's outreach list, with its score and reasons. Advice: the officer decides. `selection`
    says why it is there: ranked by the round's scorer, or drawn for a reserved slot."""

    round = models.ForeignKey(ScreeningRound, on_delete=models.PROTECT, related_name="items")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="outreach_items")
    dong = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="outreach_items")
    rank = models.PositiveIntegerField(_("priority"))
    score = models.FloatField(_("score"))
    probability = models.FloatField(_("estimated probability of crisis"), null=True, blank=True)
    reasons = models.JSONField(_("reasons"), default=list)
    selection = models.CharField(_("selection"), max_length=20, choices=Selection.choices, default=Selection.RANKED)
    status = models.CharField(_("status"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.PENDING)
    assigned_to = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=14, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(_("note"), blank=True)
    outcome_on = models.DateField(_("outcome date"), null=True, blank=True)

    class Meta:
        verbose_name = _("outreach list item")
        verbose_name_plural = _("outreach list")
        ordering = ["round", "dong", "rank"]
        constraints = [models.UniqueConstraint(fields=["round", "household"], name="one_item_per_household_per_round")]
        indexes = [
            models.Index(fields=["dong", "status"]),
            models.Index(fields=["household", "outcome_on"]),
            # A round's exclusions (screening/snapshot.py): the households on open items and those contacted since a
            # date, found from the items' side, so that their cost follows the open work, not the district's size.
            models.Index(fields=["status", "household"], name="outreach_status_households"),
            models.Index(
                fields=["outcome_on", "household"],
                condition=models.Q(outcome_on__isnull=False),
                name="outreach_outcomes_by_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} #{self.rank}"

    @property
    def reserved(self) -> bool:
        return self.selection in RESERVED_SELECTIONS


class ListingEvent(models.Model):
    """Every change of an item, as a row: who assigned whom, who recorded which outcome, when and why."""

    item = models.ForeignKey(OutreachItem, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=10, choices=ItemStatus.choices)
    to_status = models.CharField(max_length=10, choices=ItemStatus.choices)
    outcome = models.CharField(max_length=14, choices=Outcome.choices, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.item} {self.from_status}→{self.to_status}"
