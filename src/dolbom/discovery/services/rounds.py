"""Running a screening round (발굴 차수): snapshot the registry, score and rank on the batch engine, and write each
dong's outreach list. The list is advice (PIPA art. 37-2): officers decide, and their decisions are recorded.

The round row is created first, with status `running`, so that the pages can show a round in progress; the items,
the final status, the statistics and the audit event are then written in one transaction. A round that fails
keeps its row with status `failed` and the error, and has no items.

A district runs one round at a time (a database constraint). A round still `running` after STALE_AFTER was cut off
(its process stopped): the next round of the district marks it failed and goes ahead.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.core.files import private_workdir
from dolbom.core.permissions import ensure_can
from dolbom.core.roles import scope_for
from dolbom.discovery.models import OutreachItem, RoundStatus, Scorer, ScreeningRound
from dolbom.discovery.screening.engine import ENGINES, run_screening, screening_stats
from dolbom.discovery.screening.rounds_inputs import inputs_for, scorecard_for, signal_sources, work_root
from dolbom.discovery.screening.scorecard import ScorecardError
from dolbom.discovery.screening.scorers import ModelUnavailable, model_scorer
from dolbom.registry.models import AdministrativeArea, AreaLevel

logger = logging.getLogger(__name__)
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
BULK_BATCH = 1000
# A round takes seconds to minutes (30 s for 10 M households on two cores); one running for an hour has stopped.
STALE_AFTER = timedelta(hours=1)


def run_round(
    *,
    user: Any,
    district_code: str,
    period: str,
    scorer: str = "scorecard",
    engine: str = "duckdb",
    cooldown_days: int | None = None,
    as_of: date | None = None,
) -> ScreeningRound:
    """Screen the district's households on the period's signals and list, per dong, the households to visit.

    Raises PermissionDenied (role or district outside the user's area) and ValidationError (bad period, engine or
    cool-down, no signal files, a malformed scorecard, no usable model) before anything is written. A failure while
    running returns the round with status `failed`."""
    ensure_can(user, "discovery.run_round")
    if district_code not in scope_for(user).area_codes:
        raise PermissionDenied("discovery.run_round: the district is outside the user's area")
    district = AdministrativeArea.objects.filter(code=district_code, level=AreaLevel.SIGUNGU).first()
    if district is None:
        raise ValidationError({"district": "시군구를 찾을 수 없습니다."})
    if not PERIOD.match(period or ""):
        raise ValidationError({"period": "기간은 YYYY-MM 형식으로 입력하세요."})
    if scorer not in Scorer.values:
        raise ValidationError({"scorer": "점수 방식을 선택하세요."})
    if engine not in ENGINES:
        raise ValidationError({"engine": f"엔진은 {', '.join(ENGINES)} 중 하나입니다."})
    try:
        scorecard = scorecard_for(district_code)
    except ScorecardError as exc:
        raise ValidationError({"scorer": f"점수표에 문제가 있어 차수를 실행할 수 없습니다. {exc}"}) from exc
    if cooldown_days is None:
        cooldown_days = scorecard.cooldown_days
    if cooldown_days < 0:
        raise ValidationError({"cooldown_days": "재방문 제외 기간은 0일 이상이어야 합니다."})
    signals = signal_sources(period)
    if not signals:
        raise ValidationError({"period": "이 기간에 가져온 위기정보 파일이 없습니다."})
    learned = None
    if scorer == Scorer.MODEL:
        try:
            learned = model_scorer(district_code=district_code)
        except ModelUnavailable as exc:
            raise ValidationError({"scorer": f"학습 모형을 사용할 수 없습니다. {exc}"}) from exc

    as_of = as_of or today_kst()
    capacities = dict(
        AdministrativeArea.objects.filter(parent=district, level=AreaLevel.EUPMYEONDONG)
        .order_by("code")
        .values_list("code", "visit_capacity")
    )
    params = {
        "period": period,
        "as_of": as_of.isoformat(),
        "cooldown_days": cooldown_days,
        "capacities": capacities,
        "signal_file_ids": [s.file_id for s in signals],
        "scorecard": {
            "version": scorecard.version,
            "updated": scorecard.updated.isoformat(),
            "source": scorecard.source,
            "file": scorecard.origin,
            "min_score": scorecard.min_score,
        },
        "engine": engine,
        "scorer": scorer,
    }
    if learned is not None:
        params["model"] = learned.version
    _end_stale_rounds(district)
    try:
        with transaction.atomic():
            screening_round = ScreeningRound.objects.create(
                district=district,
                period=period,
                scorer=scorer,
                scoring_model=getattr(learned, "scoring_model", None),
                scorecard_version=scorecard.version,
                engine=engine,
                status=RoundStatus.RUNNING,
                params=params,
                started_by=user if getattr(user, "is_authenticated", False) else None,
            )
    except IntegrityError as exc:
        raise ValidationError({NON_FIELD_ERRORS: _already_running(district)}) from exc

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    try:
        with private_workdir(work_root(), prefix=f"round-{screening_round.pk}-") as tmp:
            mark = time.perf_counter()
            inputs = inputs_for(
                district_code=district_code,
                as_of=as_of,
                cooldown_days=cooldown_days,
                signals=signals,
                folder=Path(tmp),
                scorecard=scorecard,
            )
            seconds["snapshot"] = time.perf_counter() - mark
            listed = run_screening(inputs, engine=engine, scorer=learned)
        stats = screening_stats(listed)
        seconds.update(stats.pop("seconds", {}))
        mark = time.perf_counter()
        with transaction.atomic():
            OutreachItem.objects.bulk_create(_items(screening_round, listed), batch_size=BULK_BATCH)
            seconds["write"] = time.perf_counter() - mark
            seconds["total"] = time.perf_counter() - started
            stats["seconds"] = {k: round(v, 3) for k, v in seconds.items()}
            stats["summary"] = _summary(screening_round, district, stats)
            screening_round.status = RoundStatus.DONE
            screening_round.stats = stats
            screening_round.finished_at = timezone.now()
            screening_round.save(update_fields=["status", "stats", "finished_at"])
            audit.record(
                user,
                "discovery.run_round",
                screening_round,
                detail={
                    "status": "done",
                    "period": period,
                    "district": district_code,
                    "scorer": scorer,
                    "engine": engine,
                    "signal_files": len(signals),
                    "listed": stats.get("listed", 0),
                },
            )
    except Exception as exc:
        logger.exception("screening round %s failed", screening_round.pk)
        _fail(screening_round, user, exc, seconds={**seconds, "total": time.perf_counter() - started})
    return screening_round


def _end_stale_rounds(district: AdministrativeArea) -> None:
    stale = ScreeningRound.objects.filter(
        district=district, status=RoundStatus.RUNNING, started_at__lt=timezone.now() - STALE_AFTER
    )
    for screening_round in stale:
        _fail(
            screening_round,
            None,
            RuntimeError(f"interrupted: still running after {STALE_AFTER}; the process that ran it had stopped"),
            seconds={},
        )


def _already_running(district: AdministrativeArea) -> str:
    running = ScreeningRound.objects.filter(district=district, status=RoundStatus.RUNNING).first()
    if running is None:  # it finished in the meantime
        return "같은 시군구의 다른 차수가 방금 실행 중이었습니다. 다시 실행하세요."
    by = getattr(getattr(running.started_by, "staff", None), "display_name", None) or "-"
    started = timezone.localtime(running.started_at)
    return f"{district.name}의 차수 #{running.pk}가 실행 중입니다({by}, {started:%H:%M} 시작). 끝난 뒤 다시 실행하세요."


def _items(screening_round: ScreeningRound, listed: Any) -> list[OutreachItem]:
    return [
        OutreachItem(
            round=screening_round,
            household_id=row["household_id"],
            dong_id=row["dong_code"],
            rank=row["rank"],
            score=row["score"],
            probability=row["probability"],
            reasons=row["reasons"] or [],
        )
        for row in listed.to_pylist()
    ]


def _summary(screening_round: ScreeningRound, district: AdministrativeArea, stats: dict[str, Any]) -> str:
    excluded = stats.get("excluded", {})
    seconds = stats.get("seconds", {})
    return (
        f"round {screening_round.pk} ({screening_round.period}, {district.name}): "
        f"{stats.get('listed', 0):,} households listed in {len(stats.get('listed_per_dong', {}))} dongs; "
        f"{stats.get('households_with_signals', 0):,} of {stats.get('households_in_district', 0):,} households "
        f"had scored signals; left out: {excluded.get('cooldown', 0):,} cool-down, {excluded.get('in_care', 0):,} "
        f"in care, {stats.get('below_min_score', 0):,} below the minimum score; {seconds.get('total', 0):.1f} s"
    )


def _fail(screening_round: ScreeningRound, user: Any, exc: Exception, *, seconds: dict[str, float]) -> None:
    screening_round.status = RoundStatus.FAILED
    screening_round.error = f"{type(exc).__name__}: {exc}"[:4000]
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
            detail={"status": "failed", "period": screening_round.period, "error": type(exc).__name__},
        )
