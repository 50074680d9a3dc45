"""Running a screening round (발굴 차수): snapshot the registry, score and rank on the batch engine, and write each
dong's outreach list. The list is advice (PIPA art. 37-2): officers decide, and their decisions are recorded.

The round row is created first, with status `running`, so that the pages can show a round in progress; the items,
the final status, the statistics and the audit event are then written in one transaction. A round that fails
keeps its row with status `failed` and the error, and has no items.

A district runs one round at a time (a database constraint). A round records the process that runs it (host, pid,
start mark: core.processes). A round still `running` whose process no longer exists on this host was cut off (a
crash, a kill, a restart): it is marked failed at once, with a `discovery.round_interrupted` event, when the server
or `dolbom cleanup` starts and when a new round of the district is asked for. A round run on another host is judged
by the clock only: still `running` after STALE_AFTER, its process is taken to have stopped.

Honest mistakes: a round for a period with files from fewer agencies than the district's last round (the wrong
period, files not yet imported) is run only once confirmed (`confirm_few_files`); a round run by mistake is
withdrawn with `withdraw_round` before any visit is assigned from it, and its list is then shown nowhere.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from dolbom.core import audit
from dolbom.core.bulk import insert_rows
from dolbom.core.dates import today_kst
from dolbom.core.files import private_workdir
from dolbom.core.jobs.runtime import JobCancelled, Progress
from dolbom.core.permissions import ensure_can
from dolbom.core.processes import Runner, abandoned, this_process
from dolbom.core.scope import scope_for
from dolbom.core.text import visible_length, visible_text
from dolbom.discovery.catalogue import load_catalogue
from dolbom.discovery.importing.validate import PERIOD_PATTERN
from dolbom.discovery.learning.explain import cut_name
from dolbom.discovery.learning.gate import passes_gate
from dolbom.discovery.models import (
    ItemStatus,
    ListingEvent,
    OutreachItem,
    RoundStatus,
    Scorer,
    ScreeningRound,
    SignalFile,
)
from dolbom.discovery.screening.engine import ENGINES, run_screening, screening_stats
from dolbom.discovery.screening.inputs import SignalSource
from dolbom.discovery.screening.reserve import Reserve
from dolbom.discovery.screening.rounds_inputs import inputs_for, scorecard_for, signal_sources, work_root
from dolbom.discovery.screening.scorecard import Scorecard, ScorecardError
from dolbom.discovery.screening.scorers import ModelUnavailable, model_scorer
from dolbom.discovery.selectors import chosen_model, rounds_visible_to, screening_settings_of
from dolbom.discovery.signals import referred_households, round_listed, round_withdrawn
from dolbom.registry.models import AdministrativeArea, AreaLevel

logger = logging.getLogger(__name__)
BULK_BATCH = 1000
# A round takes seconds to minutes (30 s for 10 M households on two cores); one running for an hour has stopped.
STALE_AFTER = timedelta(hours=1)
# A reason for a withdrawal must say something: at least this many visible characters (core.text).
WITHDRAW_REASON_MIN = 5


@dataclass(frozen=True)
class RoundPlan:
    """Everything a round needs, checked before anything is written."""

    district: AdministrativeArea
    period: str
    scorer: str
    engine: str
    cooldown_days: int
    as_of: date
    scorecard: Scorecard
    signals: list[SignalSource]
    learned: Any  # the learned scorer, or None for the scorecard
    reserve: Reserve | None = None  # the learned model's reserved share (screening.reserve); None for the scorecard
    balanced: bool = False  # the learned model's lists cut in the balanced order (learning.balance)

    @property
    def params(self) -> dict[str, Any]:
        """What the round records of how it ran: enough to rebuild its inputs (the learned model's features)."""
        capacities = dict(
            AdministrativeArea.objects.filter(parent=self.district, level=AreaLevel.EUPMYEONDONG)
            .order_by("code")
            .values_list("code", "visit_capacity")
        )
        params = {
            "period": self.period,
            "as_of": self.as_of.isoformat(),
            "cooldown_days": self.cooldown_days,
            "capacities": capacities,
            "signal_file_ids": [s.file_id for s in self.signals],
            "scorecard": {
                "version": self.scorecard.version,
                "updated": self.scorecard.updated.isoformat(),
                "source": self.scorecard.source,
                "file": self.scorecard.origin,
                "min_score": self.scorecard.min_score,
            },
            "engine": self.engine,
            "scorer": self.scorer,
        }
        if self.learned is not None:
            params["model"] = self.learned.version
            params["balanced"] = self.balanced
        if self.reserve is not None:
            # The seed makes the draw reproducible; the referred households are counted, not named.
            params["reserve"] = {
                "share": self.reserve.share,
                "seed": self.reserve.seed,
                "referred_households": len(self.reserve.referred),
            }
        return params


def run_round(
    *,
    user: Any,
    district_code: str,
    period: str,
    scorer: str = Scorer.SCORECARD,
    engine: str = "duckdb",
    cooldown_days: int | None = None,
    as_of: date | None = None,
    confirm_few_files: bool = False,
    progress: Progress | None = None,
    reserve_seed: int | None = None,
) -> ScreeningRound:
    """Screen the district's households on the period's signals and list, per dong, the households to visit.

    Raises PermissionDenied (role or district outside the user's area) and ValidationError (bad period, engine or
    cool-down, no signal files, a malformed scorecard, no usable model) before anything is written. A failure while
    running returns the round with status `failed`. A period with files from fewer agencies than the district's
    last round raises ValidationError on `confirm_few_files` (the warning) unless `confirm_few_files` is True.

    Run as a job (discovery.jobs), `progress` hears of each phase (ROUND_PHASES) and may stop the round between
    two of them (JobCancelled): the round is then marked failed, with no items, and the cancel raised again.

    With the learned model, the district's reserved share (ScreeningSettings) of each dong's list is drawn with
    `reserve_seed` (a fresh random one when None; recorded in the round's params either way)."""
    step = progress.phase if progress is not None else (lambda key, **result: None)
    step("planning")
    plan = plan_round(
        user=user,
        district_code=district_code,
        period=period,
        scorer=scorer,
        engine=engine,
        cooldown_days=cooldown_days,
        as_of=as_of,
        confirm_few_files=confirm_few_files,
        reserve_seed=reserve_seed,
    )
    screening_round = start_round(user=user, plan=plan)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    try:
        step("snapshot", round_id=screening_round.pk)
        listed = execute_round(screening_round, plan, seconds=seconds, on_scoring=lambda: step("scoring"))
        step("writing")
        finish_round(
            user=user, screening_round=screening_round, plan=plan, listed=listed, seconds=seconds, started=started
        )
    except JobCancelled as exc:
        _fail(screening_round, user, exc, seconds={**seconds, "total": time.perf_counter() - started})
        raise
    except Exception as exc:
        logger.exception("screening round %s failed", screening_round.pk)
        _fail(screening_round, user, exc, seconds={**seconds, "total": time.perf_counter() - started})
    return screening_round


def plan_round(
    *,
    user: Any,
    district_code: str,
    period: str,
    scorer: str,
    engine: str,
    cooldown_days: int | None,
    as_of: date | None,
    confirm_few_files: bool = False,
    reserve_seed: int | None = None,
) -> RoundPlan:
    """Check the request and gather the round's inputs; raise before anything is written."""
    ensure_can(user, "discovery.run_round")
    scope_for(user).ensure_district(district_code)
    district = AdministrativeArea.objects.filter(code=district_code, level=AreaLevel.SIGUNGU).first()
    if district is None:
        raise ValidationError({"district": _("No such district.")})
    if not PERIOD_PATTERN.match(period or ""):
        raise ValidationError({"period": _("Enter the period as YYYY-MM, e.g. 2026-09.")})
    if scorer not in Scorer.values:
        raise ValidationError({"scorer": _("Choose how households are scored.")})
    if engine not in ENGINES:
        raise ValidationError({"engine": _("The engine is one of %(engines)s.") % {"engines": ", ".join(ENGINES)}})
    try:
        scorecard = scorecard_for(district_code)
    except ScorecardError as exc:
        message = _("The scorecard has a problem, so the round cannot run. %(problem)s")
        raise ValidationError({"scorer": message % {"problem": exc}}) from exc
    if cooldown_days is None:
        cooldown_days = scorecard.cooldown_days
    if cooldown_days < 0:
        raise ValidationError({"cooldown_days": _("The cool-down must be 0 days or more.")})
    # Said here, on the form, rather than by the worker that would refuse it later.
    end_interrupted_rounds(district=district)
    if ScreeningRound.objects.filter(district=district, status=RoundStatus.RUNNING).exists():
        raise ValidationError({NON_FIELD_ERRORS: _already_running(district)})
    signals = signal_sources(district_code, period)
    if not signals:
        raise ValidationError({"period": _("No crisis-signal file has been imported for this period.")})
    if not confirm_few_files and (warning := few_files_warning(district, period, [s.file_id for s in signals])):
        raise ValidationError({"confirm_few_files": warning})
    learned = reserve = None
    district_settings = screening_settings_of(district_code)
    if scorer == Scorer.MODEL:
        try:
            learned = model_scorer(_chosen_model(district_code, balanced=district_settings.balanced))
        except ModelUnavailable as exc:
            message = _("The learned model cannot be used. %(problem)s")
            raise ValidationError({"scorer": message % {"problem": exc}}) from exc
        share = district_settings.reserved_share
        seed = secrets.randbits(31) if reserve_seed is None else int(reserve_seed)
        reserve = Reserve(share=share, seed=seed, referred=open_referrals(district_code) if share else frozenset())
    return RoundPlan(
        district=district,
        period=period,
        scorer=scorer,
        engine=engine,
        cooldown_days=cooldown_days,
        as_of=as_of or today_kst(),
        scorecard=scorecard,
        signals=signals,
        learned=learned,
        reserve=reserve,
        balanced=learned is not None and district_settings.balanced,
    )


def _chosen_model(district_code: str, *, balanced: bool) -> Any:
    """The model the district's administrator chose for its rounds; never one the gate held back for the cut of the
    lists the district's settings ask for (by score or balanced)."""
    model = chosen_model(district_code)
    if model is None:
        raise ModelUnavailable(
            _(
                "No learned model is chosen for the district's rounds: its administrator chooses one that passed "
                "the gate on the learned models page."
            )
        )
    if not passes_gate(model.gate, balanced=balanced):
        message = _(
            "Model #%(model)d, chosen for the district's rounds, has not passed the gate with %(cut)s of the lists "
            "that the district's screening settings ask for: choose another model on the learned models page, or "
            "change the cut on the screening settings page."
        )
        raise ModelUnavailable(message % {"model": model.pk, "cut": cut_name(balanced=balanced)})
    return model


def open_referrals(district_code: str) -> frozenset[int]:
    """The district's households with an open referral, from the domains that take referrals (intake answers
    discovery.signals.referred_households): household ids only."""
    ids: set[int] = set()
    for _receiver, answer in referred_households.send(sender=ScreeningRound, district_code=district_code):
        ids.update(int(h) for h in answer or ())
    return frozenset(ids)


def few_files_warning(district: AdministrativeArea, period: str, file_ids: list[int]) -> str:
    """A warning when the period's files come from fewer agencies than those the district's last round read: the
    period may be the wrong one, or files may not be imported yet, and the round would then list the wrong
    households. Empty when there is no earlier round to compare with, or nothing missing."""
    last = (
        ScreeningRound.objects.filter(district=district, status=RoundStatus.DONE).order_by("-started_at", "-pk").first()
    )
    if last is None:
        return ""
    agencies = dict(
        SignalFile.objects.filter(pk__in=[*file_ids, *last.signal_file_ids]).values_list("pk", "agency_code")
    )
    now = {agencies[i] for i in file_ids if i in agencies}
    before = {agencies[i] for i in last.signal_file_ids if i in agencies}
    if len(now) >= len(before):
        return ""
    names = {a.code: a.name for a in load_catalogue().agencies}
    missing = ", ".join(f"{names.get(code, code)} ({code})" for code in sorted(before - now))
    message = _(
        "Period %(period)s has files from %(now)s providing agencies, fewer than the %(before)s read by the "
        "district's last round (%(last)s). Missing: %(missing)s. A round on too few files lists the wrong "
        "households: check that the period is right and that every file has been imported."
    )
    return message % {
        "period": period,
        "now": len(now),
        "before": len(before),
        "last": f"{last.period} #{last.pk}",
        "missing": missing,
    }


def withdraw_round(*, user: Any, round_id: int, reason: str) -> ScreeningRound:
    """Withdraw a round run by mistake (the wrong period, too few files), before any visit is assigned from it.

    The round stays, with status `withdrawn`, who withdrew it, when and why; its items stay too, for the record,
    with status `withdrawn`, and are on no list. A round from whose list a visit was assigned (or an outcome
    recorded) cannot be withdrawn: the officers' work stands, and a new round is the way.

    The items are marked one by one (an UPDATE of their rows) rather than only the round, so that an officer
    assigning a visit at the same moment either goes first, and the withdrawal is refused, or waits for it and
    then finds the item gone: the two lock the same rows."""
    ensure_can(user, "discovery.withdraw_round")
    reason = visible_text(reason)
    with transaction.atomic():
        screening_round = rounds_visible_to(user).select_for_update(of=("self",)).filter(pk=round_id).first()
        if screening_round is None:
            raise Http404
        scope_for(user).ensure_district(screening_round.district_id)
        if screening_round.status == RoundStatus.WITHDRAWN:
            when = timezone.localtime(screening_round.withdrawn_at).strftime("%Y-%m-%d %H:%M")
            message = _("This round was already withdrawn on %(when)s.")
            raise ValidationError({NON_FIELD_ERRORS: message % {"when": when}})
        if screening_round.status != RoundStatus.DONE:
            message = _("Only a finished round can be withdrawn; this one is %(status)s.")
            raise ValidationError({NON_FIELD_ERRORS: message % {"status": screening_round.get_status_display()}})
        if visible_length(reason) < WITHDRAW_REASON_MIN:
            message = _("Write why the round is withdrawn (at least %(n)s characters), e.g. 'wrong period'.")
            raise ValidationError({"reason": message % {"n": WITHDRAW_REASON_MIN}})
        items = OutreachItem.objects.filter(round=screening_round)
        pending = list(items.filter(status=ItemStatus.PENDING).select_for_update().values_list("pk", flat=True))
        items.filter(pk__in=pending).update(status=ItemStatus.WITHDRAWN)
        acted = max(
            items.exclude(status=ItemStatus.WITHDRAWN).count(),
            ListingEvent.objects.filter(item__round=screening_round).values("item").distinct().count(),
        )
        if acted:
            raise ValidationError({NON_FIELD_ERRORS: visits_assigned(acted)})
        screening_round.status = RoundStatus.WITHDRAWN
        screening_round.withdrawn_at = timezone.now()
        screening_round.withdrawn_by = user
        screening_round.withdrawal_reason = reason
        screening_round.save(update_fields=["status", "withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        round_withdrawn.send(sender=ScreeningRound, round_id=screening_round.pk)
        note = _("Withdrawn with round %(round)s") % {"round": f"{screening_round.period} #{screening_round.pk}"}
        ListingEvent.objects.bulk_create(
            [
                ListingEvent(
                    item_id=pk, by=user, from_status=ItemStatus.PENDING, to_status=ItemStatus.WITHDRAWN, note=note
                )
                for pk in pending
            ],
            batch_size=BULK_BATCH,
        )
        audit.record(
            user,
            "discovery.withdraw_round",
            screening_round,
            reason=reason,
            detail={"district": screening_round.district_id, "period": screening_round.period, "items": len(pending)},
        )
    return screening_round


def visits_assigned(count: int) -> str:
    """Why a round whose list officers have worked on stays, and what to do instead."""
    message = _(
        "Officers have already acted on %(count)s households of this round's list (a visit assigned or an outcome "
        "recorded), so the round can no longer be withdrawn. Their visits stay on their lists until the outcome "
        "is recorded; if the round was run by mistake, run a new round for the right period."
    )
    return message % {"count": f"{count:,}"}


def start_round(*, user: Any, plan: RoundPlan) -> ScreeningRound:
    """Record the round as running, so that the pages show it and no second round of the district starts."""
    end_interrupted_rounds(district=plan.district)
    runner = this_process()
    try:
        with transaction.atomic():
            return ScreeningRound.objects.create(
                runner_host=runner.host,
                runner_pid=runner.pid,
                runner_started=runner.started,
                district=plan.district,
                period=plan.period,
                scorer=plan.scorer,
                scoring_model=getattr(plan.learned, "scoring_model", None),
                scorecard_version=plan.scorecard.version,
                engine=plan.engine,
                status=RoundStatus.RUNNING,
                params=plan.params,
                started_by=user if getattr(user, "is_authenticated", False) else None,
            )
    except IntegrityError as exc:
        raise ValidationError({NON_FIELD_ERRORS: _already_running(plan.district)}) from exc


def execute_round(
    screening_round: ScreeningRound,
    plan: RoundPlan,
    *,
    seconds: dict[str, float],
    on_scoring: Callable[[], None] = lambda: None,
) -> Any:
    """The registry snapshot and the scoring on the batch engine: the ranked lists with their statistics.
    `on_scoring` is called between the two."""
    with private_workdir(work_root(), prefix=f"round-{screening_round.pk}-") as tmp:
        mark = time.perf_counter()
        inputs = inputs_for(
            district_code=plan.district.code,
            as_of=plan.as_of,
            cooldown_days=plan.cooldown_days,
            signals=plan.signals,
            folder=Path(tmp),
            scorecard=plan.scorecard,
        )
        seconds["snapshot"] = time.perf_counter() - mark
        on_scoring()
        return run_screening(
            inputs, engine=plan.engine, scorer=plan.learned, reserve=plan.reserve, balanced=plan.balanced
        )


def finish_round(
    *,
    user: Any,
    screening_round: ScreeningRound,
    plan: RoundPlan,
    listed: Any,
    seconds: dict[str, float],
    started: float,
) -> None:
    """Write the lists, the statistics, the final status and the audit event in one transaction. `started` is
    when the round began running (`time.perf_counter`), for its total time."""
    stats = screening_stats(listed)
    seconds.update(stats.pop("seconds", {}))
    mark = time.perf_counter()
    with transaction.atomic():
        insert_rows(OutreachItem, ITEM_FIELDS, _item_rows(screening_round, listed), batch_size=BULK_BATCH)
        seconds["write"] = time.perf_counter() - mark
        seconds["total"] = time.perf_counter() - started
        stats["seconds"] = {k: round(v, 3) for k, v in seconds.items()}
        stats["summary"] = _summary(screening_round, plan.district, stats)
        screening_round.status = RoundStatus.DONE
        screening_round.stats = stats
        screening_round.finished_at = timezone.now()
        screening_round.save(update_fields=["status", "stats", "finished_at"])
        round_listed.send(sender=ScreeningRound, round_id=screening_round.pk)
        audit.record(
            user,
            "discovery.run_round",
            screening_round,
            detail={
                "status": RoundStatus.DONE,
                "period": plan.period,
                "district": plan.district.code,
                "scorer": plan.scorer,
                "engine": plan.engine,
                "signal_files": len(plan.signals),
                "listed": stats.get("listed", 0),
            },
        )


def end_interrupted_rounds(*, district: AdministrativeArea | None = None) -> list[ScreeningRound]:
    """Mark failed every `running` round (of one district, or of all) whose process is gone: at once when it ran on
    this host and its process no longer exists, after STALE_AFTER otherwise. Each is a system event
    (`discovery.round_interrupted`). Called by the server's start, `dolbom cleanup` and every new round."""
    running = ScreeningRound.objects.filter(status=RoundStatus.RUNNING)
    if district is not None:
        running = running.filter(district=district)
    ended = []
    for screening_round in running:
        runner = Runner(screening_round.runner_host, screening_round.runner_pid or 0, screening_round.runner_started)
        reason = abandoned(runner, last_heard=screening_round.started_at, stale_after=STALE_AFTER)
        if reason == "gone":
            why = f"interrupted: its process (pid {runner.pid} on {runner.host}) no longer exists"
        elif reason == "silent":
            why = f"interrupted: still running after {STALE_AFTER}; the process that ran it had stopped"
        else:
            continue
        if _interrupt(screening_round, why, runner):
            ended.append(screening_round)
    return ended


def _interrupt(screening_round: ScreeningRound, why: str, runner: Runner) -> bool:
    with transaction.atomic():
        # Only if it is still running: the round may have finished, or another process ended it, meanwhile.
        changed = ScreeningRound.objects.filter(pk=screening_round.pk, status=RoundStatus.RUNNING).update(
            status=RoundStatus.FAILED,
            error=why,
            finished_at=timezone.now(),
            stats={"summary": f"round {screening_round.pk} ({screening_round.period}) failed: {why}"},
        )
        if changed:
            audit.record(
                None,
                "discovery.round_interrupted",
                screening_round,
                detail={
                    "period": screening_round.period,
                    "district": screening_round.district_id,
                    "host": runner.host,
                    "pid": runner.pid,
                    "started_at": screening_round.started_at.isoformat(),
                },
            )
    screening_round.refresh_from_db()
    return bool(changed)


def _already_running(district: AdministrativeArea) -> str:
    running = ScreeningRound.objects.filter(district=district, status=RoundStatus.RUNNING).first()
    if running is None:  # it finished in the meantime
        return _("Another round of the district was running a moment ago. Run this one again.")
    by = getattr(getattr(running.started_by, "staff", None), "display_name", None) or "-"
    started = timezone.localtime(running.started_at)
    message = _("Round #%(id)s of %(district)s is running (%(by)s, started %(at)s). Run this one when it is done.")
    return message % {"id": running.pk, "district": district.name, "by": by, "at": f"{started:%H:%M}"}


# The outreach items' fields, in the order `_item_rows` gives their values.
ITEM_FIELDS = ("round", "household", "dong", "rank", "score", "probability", "reasons", "selection")


def _item_rows(screening_round: ScreeningRound, listed: Any) -> Iterator[tuple[Any, ...]]:
    """The listed households as rows of ITEM_FIELDS, a column at a time from the engine's table."""
    names = ("household_id", "dong_code", "rank", "score", "probability", "reasons", "selection")
    columns = {name: listed.column(name).to_pylist() for name in names}
    columns["reasons"] = [reasons or [] for reasons in columns["reasons"]]
    return zip(itertools.repeat(screening_round.pk), *columns.values())


def _summary(screening_round: ScreeningRound, district: AdministrativeArea, stats: dict[str, Any]) -> str:
    excluded = stats.get("excluded", {})
    seconds = stats.get("seconds", {})
    return (
        f"round {screening_round.pk} ({screening_round.period}, {district.name}): "
        f"{stats.get('listed', 0):,} households listed in {len(stats.get('listed_per_dong', {}))} dongs; "
        f"{stats.get('households_with_signals', 0):,} of {stats.get('households_in_district', 0):,} households "
        f"had scored signals; left out: {excluded.get('cooldown', 0):,} cool-down, {excluded.get('in_care', 0):,} "
        f"in care, {stats.get('below_min_score', 0):,} below the minimum score; {seconds.get('total', 0):.1f} s"
        + (f"; {stats['reserved']:,} in reserved slots" if stats.get("reserved") else "")
    )


def _fail(screening_round: ScreeningRound, user: Any, exc: Exception, *, seconds: dict[str, float]) -> None:
    screening_round.status = RoundStatus.FAILED
    screening_round.error = str(exc) if isinstance(exc, JobCancelled) else f"{type(exc).__name__}: {exc}"[:4000]
    screening_round.finished_at = timezone.now()
    screening_round.stats = {
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
        "summary": f"round {screening_round.pk} ({screening_round.period}) failed: {screening_round.error[:200]}",
    }
    with transaction.atomic():
        screening_round.save(update_fields=["status", "error", "finished_at", "stats"])
        audit.record(
            user,
            "discovery.run_round",
            screening_round,
            detail={"status": RoundStatus.FAILED, "period": screening_round.period, "error": type(exc).__name__},
        )
