"""The public report form (`/report/`): anyone may report a household in crisis without an account, and follow it
with the receipt number. What it accepts is bounded three ways: a limit per address and hour on every request
that writes or looks something up (`admit`), a challenge drawn on the server (django-simple-captcha; no outside
service, so it works on a closed intranet), and the form's own limits on every field.

Why the requests are counted here and not by a library: django-ratelimit and its like count in Django's cache, and
the only cache every server process shares on this deployment would be the database cache, whose increment is a
read followed by a write, so a parallel flood (the very thing to stop) loses counts; a per-process memory cache
lets each process count on its own. The database already serialises one `UPDATE … SET count = count + 1` per row,
on SQLite and PostgreSQL alike, so one small table (`PublicRequestCount`) gives an exact, shared count. The
address is the one the login throttle counts (`core.login_throttle.client_address`, which honours
DOLBOM_TRUSTED_PROXIES), and it is stored only as a keyed hash.

The staff service (`services.referrals.file_referral`) stays as it is: it requires a user and their area. Filing
from the public form is a function of its own, for the one anonymous channel, with its own stricter checks.
"""

from __future__ import annotations

import io
import ipaddress
import re
import secrets
import subprocess
import unicodedata
import wave
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from captcha.models import CaptchaStore
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from dolbom.core import audit
from dolbom.core.numbers import CARD, RRN, find_numbers
from dolbom.core.text import visible_text
from dolbom.intake.models import (
    PublicRequestCount,
    Referral,
    ReferralChannel,
    ReferralStatus,
    WorkItem,
    WorkSource,
    WorkStatus,
)
from dolbom.intake.selectors import dongs_at_address, referral_for_receipt
from dolbom.registry.models import AdministrativeArea, AreaLevel

# ------------------------------------------------------------------------------------------------ rate limits

REPORT, STATUS, AUDIO = "report", "status", "audio"
_LIMITS = {REPORT: "PUBLIC_REPORTS_PER_HOUR", STATUS: "PUBLIC_STATUS_PER_HOUR", AUDIO: "PUBLIC_AUDIO_PER_HOUR"}
WINDOW = timedelta(hours=1)
# Counters of windows that ended longer ago than this are removed by the first request of a new window.
KEEP_COUNTS = timedelta(days=1)


@dataclass(frozen=True)
class Admission:
    allowed: bool
    count: int
    limit: int
    retry_after: int  # seconds until the window ends

    @property
    def retry_minutes(self) -> int:
        return max(1, -(-self.retry_after // 60))


def client_key(address: str | None) -> str:
    """A keyed hash of the client's address (SECRET_KEY): the same address gives the same key, and the stored key
    cannot be turned back into the address by trying the 2**32 IPv4 addresses without the server's secret."""
    return salted_hmac("dolbom.intake.public.client", address or "unknown").hexdigest()[:32]


def masked_address(address: str | None) -> str:
    """The address with its host part hidden (203.0.113.*, 2001:db8:1:*), for the audit log."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return "?"
    if parsed.version == 4:
        return ".".join(str(parsed).split(".")[:3]) + ".*"
    return ":".join(parsed.exploded.split(":")[:3]) + ":*"


def admit(*, bucket: str, address: str | None) -> Admission:
    """Count one request of `bucket` from `address` in the current clock hour and say whether it is within the
    limit. Counted before anything else is looked at (the challenge, the form), so a flood costs one indexed read
    per request once over the limit, and a refused request is not counted again (hammering does not extend the
    refusal beyond the hour)."""
    limit = getattr(settings, _LIMITS[bucket])
    now = timezone.now()
    window = now.replace(minute=0, second=0, microsecond=0)
    retry_after = int((window + WINDOW - now).total_seconds()) + 1
    key = client_key(address)
    rows = PublicRequestCount.objects.filter(bucket=bucket, client=key, window=window)
    with transaction.atomic():
        count = rows.values_list("count", flat=True).first()
        if count is not None and count >= limit:
            return Admission(False, count, limit, retry_after)
        if count is None:
            try:
                with transaction.atomic():
                    PublicRequestCount.objects.create(bucket=bucket, client=key, window=window, count=1)
            except IntegrityError:  # another request of this address created it in between
                rows.update(count=F("count") + 1)
            PublicRequestCount.objects.filter(window__lt=window - KEEP_COUNTS).delete()
        else:
            rows.update(count=F("count") + 1)
        # The increment is one statement the database serialises per row: this count is exact, parallel or not.
        count = rows.values_list("count", flat=True).get()
    return Admission(count <= limit, count, limit, retry_after)


# ----------------------------------------------------------------------------------------------- the challenge


def digit_challenge() -> tuple[str, str]:
    """CAPTCHA_CHALLENGE_FUNCT: five digits (2–9, no 0/1 to confuse with O/I/l), drawn and, for those who cannot
    see them, read aloud in Korean."""
    digits = "".join(secrets.choice("23456789") for _ in range(settings.CAPTCHA_LENGTH))
    return digits, digits


def challenge_audio(*, key: str) -> bytes | None:
    """The challenge of `key` spoken in Korean as a WAV file, by the offline synthesiser of DOLBOM_CAPTCHA_SPEECH
    (espeak-ng), or None when there is none or the key is unknown or expired. Nothing is written to disk: the
    synthesiser writes to a pipe. Its WAV header from a pipe has no lengths (it was streaming), so the samples
    are wrapped again with the right ones, which every browser's player needs to show the duration."""
    if not settings.CAPTCHA_SPEECH:
        return None
    store = CaptchaStore.objects.filter(hashkey=key, expiration__gt=timezone.now()).first()
    if store is None:
        return None
    spoken = ", ".join(store.challenge)  # a pause between digits; espeak-ng's Korean voice reads 7 as 칠
    command = [settings.CAPTCHA_SPEECH, "-v", "ko", "-s", "110", "-g", "12", "--stdout", spoken]
    # No shell; the program is the operator's setting, and its only free argument is the digits the server drew.
    try:
        result = subprocess.run(command, capture_output=True, timeout=10, check=True)  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        return None
    return _rewrap_wav(result.stdout)


def _rewrap_wav(data: bytes) -> bytes | None:
    try:
        with wave.open(io.BytesIO(data)) as source:
            params = source.getparams()
            frames = source.readframes(source.getnframes())
    except (wave.Error, EOFError):
        return None
    out = io.BytesIO()
    with wave.open(out, "wb") as target:
        target.setnchannels(params.nchannels)
        target.setsampwidth(params.sampwidth)
        target.setframerate(params.framerate)
        target.writeframes(frames)
    return out.getvalue()


# ------------------------------------------------------------------------------------------------------ filing

ADDRESS_MAX, CONCERN_MAX, PHONE_MAX = 200, 2000, 20
_PHONE_SEPARATORS = re.compile(r"[\s\-.()]")


def _text(value: str) -> str:
    """What the reporter typed, as it will be stored: normalised, invisible characters removed, and any resident
    registration or card number replaced by its masked form (800101-1******): the public form is not a way to
    hand in such numbers, and they must never be stored in clear."""
    text = visible_text(value)
    for found in reversed(find_numbers(text)):
        if found.kind in (RRN, CARD):
            text = text[: found.start] + found.masked + text[found.end :]
    return text


def _garbled(*values: str) -> bool:
    """Text sent in another encoding than the page's reaches Django as replacement characters (U+FFFD)."""
    return any("\ufffd" in value for value in values)


def normalise_phone(value: str) -> str | None:
    """A Korean phone number as 010-1234-5678 / 02-123-4567, or None when it is not one; empty stays empty."""
    digits = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", value or ""))
    if not digits:
        return ""
    if digits.startswith("+82"):
        digits = "0" + digits[3:]
    if not digits.isascii() or not digits.isdigit() or not digits.startswith("0") or not 9 <= len(digits) <= 11:
        return None
    if digits.startswith("02"):
        return f"02-{digits[2:-4]}-{digits[-4:]}"
    return f"{digits[:3]}-{digits[3:-4]}-{digits[-4:]}"


def _dong(dong_code: str, address_text: str, errors: dict[str, str]) -> AdministrativeArea | None:
    """The dong the reporter chose, or the one the address lies in."""
    if dong_code:
        dong = AdministrativeArea.objects.filter(code=dong_code, level=AreaLevel.EUPMYEONDONG).first()
        if dong is None:
            errors["dong"] = _("Choose the dong from the list.")
        return dong
    if "address_text" in errors:
        return None
    codes = dongs_at_address(address_text)
    if len(codes) == 1:
        return AdministrativeArea.objects.get(code=codes.pop())
    if codes:
        errors["dong"] = _("This address lies in more than one dong: choose the dong from the list.")
    else:
        errors["dong"] = _(
            "We could not find the dong from this address. Choose the dong from the list, or write the road name "
            "and building number (for example: Saesol-ro 12)."
        )
    return None


def file_public_referral(
    *, dong_code: str, address_text: str, concern: str, reporter_contact: str = "", client: str | None
) -> Referral:
    """A resident reports a household in crisis through the public form, without an account. The referral is
    the public channel's, has no reporter account, and lands on the dong's worklist like any other. The audit
    event is the system's, with the client's address masked and keyed (never the reporter's phone: only whether
    one was given). There is no permission to check, since there is nobody to check it for: what stands in for
    it is the rate limit and the challenge, which the view has passed before calling this."""
    if _garbled(address_text, concern, reporter_contact):
        raise ValidationError(
            {
                None: _(
                    "Some characters could not be read (the text was sent in another encoding). "
                    "Type it again and send it."
                )
            }
        )
    address_text, concern = _text(address_text), _text(concern)
    errors: dict[str, str] = {}
    if len(address_text) < 2:
        errors["address_text"] = _("Write where the household lives: an address or a landmark.")
    elif len(address_text) > ADDRESS_MAX:
        errors["address_text"] = _("Shorten the address to %(max)s characters.") % {"max": ADDRESS_MAX}
    if len(concern) < 5:
        errors["concern"] = _("Describe what you noticed in at least five characters.")
    elif len(concern) > CONCERN_MAX:
        errors["concern"] = _("Shorten the description to %(max)s characters.") % {"max": CONCERN_MAX}
    phone = normalise_phone(reporter_contact)
    if phone is None:
        errors["reporter_contact"] = _("Enter a phone number in digits (for example 010-1234-5678), or leave it empty.")
    dong = _dong(dong_code, address_text, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        referral = Referral.objects.create(
            channel=ReferralChannel.PUBLIC_FORM,
            reported_by=None,
            dong=dong,
            address_text=address_text,
            concern=concern,
            reporter_contact=phone or "",
        )
        item = WorkItem.objects.create(dong=dong, source=WorkSource.REFERRAL, referral=referral)
        audit.record(
            None,
            "intake.file_public_referral",
            referral,
            detail={
                "dong": dong.code,
                "channel": ReferralChannel.PUBLIC_FORM,
                "work_item": item.pk,
                "client": masked_address(client),
                "client_key": client_key(client)[:16],
                "call_back": bool(phone),
            },
        )
    return referral


# ------------------------------------------------------------------------------------------------ the status


@dataclass(frozen=True)
class PublicStatus:
    """All the reporter learns: where the referral stands and, once closed, the answer. Never the household, the
    officer, the dong's notes or the dates of the work."""

    status: str
    status_label: str
    answer_label: str


_RECEIPT_ALPHABET = frozenset("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")


def normalise_receipt(text: str) -> str | None:
    """ABCD-2345 however typed (lower case, full-width, spaces, any dash), or None when it cannot be one."""
    compact = re.sub(r"[\W_]", "", unicodedata.normalize("NFKC", text or "")).upper()
    if len(compact) != 8 or not set(compact) <= _RECEIPT_ALPHABET:
        return None
    return f"{compact[:4]}-{compact[4:]}"


def public_status(*, receipt_number: str) -> PublicStatus | None:
    """The status of the referral with this receipt number, as the reporter may see it; None when there is none."""
    referral = referral_for_receipt(receipt_number)
    if referral is None:
        return None
    item: Any = getattr(referral, "work_item", None)
    if referral.status == ReferralStatus.CLOSED:
        status = ReferralStatus.CLOSED
    elif referral.status == ReferralStatus.IN_PROGRESS or (
        item is not None and item.status in (WorkStatus.ASSIGNED, WorkStatus.IN_CONTACT)
    ):
        status = ReferralStatus.IN_PROGRESS
    else:
        status = ReferralStatus.RECEIVED
    answer = referral.get_answer_display() if status == ReferralStatus.CLOSED and referral.answer else ""
    return PublicStatus(status=status, status_label=str(ReferralStatus(status).label), answer_label=str(answer))
