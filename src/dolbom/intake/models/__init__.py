"""Intake and outreach (docs/process.md steps 1–6): reports of households in crisis, the dong's worklist of
households to reach — whatever found them —, visits and calls, and what follows a first conversation."""

from dolbom.intake.models.consultations import (
    Assessment,
    ConsentAnswer,
    Consultation,
    ConsultationRecord,
    CrisisKind,
    CrisisLevel,
    Decision,
    DecisionKind,
    DecisionStatus,
    ImmediateRisk,
    NeedDomain,
    NeedLevel,
    NeedRating,
    RiskKind,
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
    "Assessment",
    "ConsentAnswer",
    "Consultation",
    "ConsultationRecord",
    "ContactKind",
    "CrisisKind",
    "CrisisLevel",
    "Decision",
    "DecisionKind",
    "DecisionStatus",
    "ImmediateRisk",
    "IntakePolicy",
    "NeedDomain",
    "NeedLevel",
    "NeedRating",
    "Referral",
    "ReferralAnswer",
    "ReferralChannel",
    "ReferralStatus",
    "RiskKind",
    "Visit",
    "VisitResult",
    "WorkItem",
    "WorkOutcome",
    "WorkSource",
    "WorkStatus",
]
