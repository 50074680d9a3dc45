"""The seven demo accounts of a loaded city, one per role, with a known password.

The generator creates their users (with unusable passwords, like every generated staff account); this module gives
them the demo password. Hashing a password is deliberately slow, so the seven accounts share one hash: checking it
costs one hash computation, and setting it one more — never seven.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.utils import translation

from dolbom.core.roles import Role

DEMO_PASSWORD = "dolbom-demo-2026"  # noqa: S105 - public by design: printed by `dolbom demo`

# In role order, as the demo lists them.
DEMO_USERNAMES: tuple[str, ...] = (
    "demo_dong",
    "demo_district",
    "demo_admin",
    "demo_agency",
    "demo_safetynet",
    "demo_analyst",
    "demo_city",
)
ROLE_ORDER: tuple[Role, ...] = (
    Role.DONG_OFFICER,
    Role.DISTRICT_MANAGER,
    Role.DISTRICT_ADMIN,
    Role.AGENCY_WORKER,
    Role.SAFETY_NET,
    Role.ANALYST,
    Role.CITY_OFFICER,
)
# Used only if the Korean message catalogue lacks a role's label.
_KOREAN_LABELS = {
    Role.DONG_OFFICER: "읍면동 복지담당 공무원",
    Role.DISTRICT_MANAGER: "희망복지지원단 통합사례관리사",
    Role.DISTRICT_ADMIN: "시군구 관리자",
    Role.AGENCY_WORKER: "민간기관 실무자",
    Role.SAFETY_NET: "인적안전망 위원",
    Role.ANALYST: "통계 분석가",
    Role.CITY_OFFICER: "시 복지정책 담당",
}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role_label: str  # Korean
    where: str  # the agency, and the areas it covers where the agency's name does not say


def role_label(role: Role) -> str:
    with translation.override("ko"):
        label = str(role.label)
    with translation.override("en"):
        english = str(role.label)
    return label if label != english else _KOREAN_LABELS[role]


def ensure_demo_accounts() -> list[DemoAccount]:
    """Give the demo accounts the demo password (idempotent) and describe them, in role order."""
    user_model = get_user_model()
    users = {
        u.username: u
        for u in user_model.objects.filter(username__in=DEMO_USERNAMES)
        .select_related("staff__agency")
        .prefetch_related("staff__areas")
    }
    missing = [name for name in DEMO_USERNAMES if name not in users]
    if missing:
        raise LookupError(
            f"demo accounts missing ({', '.join(missing)}): load a generated city first (dolbom load DIR)"
        )
    hashes = {u.password for u in users.values()}
    inactive = [u.pk for u in users.values() if not u.is_active]
    if len(hashes) != 1 or not check_password(DEMO_PASSWORD, next(iter(hashes))):
        # One hash for all seven: the password is public anyway, and the check above stays a single computation.
        user_model.objects.filter(pk__in=[u.pk for u in users.values()]).update(password=make_password(DEMO_PASSWORD))
    if inactive:
        user_model.objects.filter(pk__in=inactive).update(is_active=True)

    accounts = []
    for name in DEMO_USERNAMES:
        staff = users[name].staff
        role = Role(staff.role)
        agency = staff.agency.name
        areas = [a.name for a in staff.areas.all() if a.name not in agency]
        where = f"{agency} ({', '.join(areas)})" if areas else agency
        accounts.append(DemoAccount(username=name, role_label=role_label(role), where=where))
    accounts.sort(key=lambda a: ROLE_ORDER.index(Role(users[a.username].staff.role)))
    return accounts
