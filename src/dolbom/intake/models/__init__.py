"""Intake and outreach (docs/process.md steps 1–6): reports of households in crisis, the dong's worklist of
households to reach — whatever found them —, visits and calls, and what follows a first conversation."""

from dolbom.intake.models.public import PublicRequestCount
from dolbom.intake.models.referrals import Referral, ReferralAnswer, ReferralChannel, ReferralStatus
from dolbom.intake.models.safety_net import SafetyNetKind, SafetyNetMember
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
    "ContactKind",
    "IntakePolicy",
    "PublicRequestCount",
    "Referral",
    "ReferralAnswer",
    "ReferralChannel",
    "ReferralStatus",
    "SafetyNetKind",
    "SafetyNetMember",
    "Visit",
    "VisitResult",
    "WorkItem",
    "WorkOutcome",
    "WorkSource",
    "WorkStatus",
]
