"""Intake and outreach (docs/process.md steps 1–6): reports of households in crisis, the dong's worklist of
households to reach — whatever found them —, visits and calls, and what follows a first conversation."""

from dolbom.intake.models.deadlines import DEFAULT_PERIODS, Clock, DeadlineRule
from dolbom.intake.models.emergency import (
    MOVES,
    OPEN_STATES,
    EmergencyKind,
    EmergencyState,
    EmergencyStep,
    EmergencySupport,
    FollowUpResult,
    ReviewResult,
    StepKind,
    SupportGiven,
)
from dolbom.intake.models.referrals import Referral, ReferralAnswer, ReferralChannel, ReferralStatus
from dolbom.intake.models.work import (
    ContactKind,
    IntakePolicy,
    Visit,
    VisitResult,
    WorkItem,
    WorkOutcome,
    WorkSource,
    WorkStatus,
)

__all__ = [
    "DEFAULT_PERIODS",
    "MOVES",
    "OPEN_STATES",
    "Clock",
    "ContactKind",
    "DeadlineRule",
    "EmergencyKind",
    "EmergencyState",
    "EmergencyStep",
    "EmergencySupport",
    "FollowUpResult",
    "IntakePolicy",
    "Referral",
    "ReferralAnswer",
    "ReferralChannel",
    "ReferralStatus",
    "ReviewResult",
    "StepKind",
    "SupportGiven",
    "Visit",
    "VisitResult",
    "WorkItem",
    "WorkOutcome",
    "WorkSource",
    "WorkStatus",
]
