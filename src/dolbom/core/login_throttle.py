"""Login throttling: django-axes, with its check and its count made one atomic step, and three counters.

Failed logins are counted in axes' `AccessAttempt` rows (one per user name, address and browser) and expire
DOLBOM_LOCKOUT_MINUTES after the last failure of their row. Three counters are read from them:

- **pair** (one user name from one address): DOLBOM_LOCKOUT_FAILURES failures lock that pair;
- **address** (one address, any user names): DOLBOM_LOCKOUT_ADDRESS_FAILURES failures lock the address, so one
  machine cannot try a password on every officer in turn;
- **account** (one user name from every address): DOLBOM_LOCKOUT_ACCOUNT_FAILURES failures close the user name to
  the addresses it has *not* logged in from within DOLBOM_LOCKOUT_KNOWN_DAYS. Addresses it has logged in from stay
  open (only their own pair and address counters apply), so nobody elsewhere can lock an officer out of their
  usual PC, while guessing from many machines stays bounded.

Why axes is extended rather than used as it comes: axes checks the lock before the password and counts the
failure after it, so parallel attempts all pass the check before the first one is counted (20 parallel attempts
checked 12 passwords with a limit of 5). Here each attempt is counted *before* its password is checked, in one
short transaction that first locks its user name and its address (PostgreSQL advisory locks; on SQLite the
database write lock that `BEGIN IMMEDIATE` takes), so the check and the count cannot interleave. The attempt
counts as a failure until its password proves right; then the pair's count is cleared. No lock is held while the
password is hashed, and an attempt refused by a lock is not counted, so hammering a locked account does not
prolong its lock.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_query_str
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router, transaction
from django.db.models import Case, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse

from dolbom.core.crypto import purpose_hash

TOO_MANY_REQUESTS = 429


# What stands for a user name that is no account: "#" and the keyed hash. "#" is never part of a user name (Django's
# validator allows letters, digits and @.+-_), so the two kinds can never be mistaken for each other.
UNKNOWN_NAME_PREFIX = "#"


def normalise_username(username: str | None) -> str | None:
    """User names are counted case-insensitively: OFFICER and officer share their counters."""
    return username.strip().lower() if username else None


def unknown_name_hash(normalised: str) -> str:
    """The keyed hash (HMAC under DOLBOM_RRN_HMAC_KEY, for this purpose only) kept for a typed name that is no
    account. An investigator with the key can still ask whether a given name was tried."""
    return purpose_hash("login.username", normalised)


def counted_username(username: str | None) -> str | None:
    """The user name as the counters, axes' tables and the audit log keep it.

    An existing account's name is kept as it is (lower case), so that an administrator can read whose account is
    under attack. Anything else is what people type by mistake — a password in the wrong field, a resident number
    — and is kept only as "#" and its keyed hash: still the same for every attempt, so the counters and the lock
    work exactly as for an account, but no longer readable. The account is looked up for every attempt, known or
    not, so both take the same path.
    """
    name = normalise_username(username)
    if not name:
        return name
    if get_user_model().objects.filter(username__iexact=name).exists():
        return name
    return UNKNOWN_NAME_PREFIX + unknown_name_hash(name)


def audit_username(username: str | None) -> dict[str, str]:
    """The typed name in an audit event's detail: `username` for an account, `username_hash` (a bare hex digest,
    which the audit log's number scrubbing leaves alone) for anything else."""
    counted = counted_username(username) or ""
    if counted.startswith(UNKNOWN_NAME_PREFIX):
        return {"username_hash": counted.removeprefix(UNKNOWN_NAME_PREFIX)}
    return {"username": counted}


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """AXES_USERNAME_CALLABLE: the user name an attempt is counted, stored and logged under (counted_username)."""
    source = credentials if credentials is not None else getattr(request, "POST", {})
    return counted_username(source.get("username"))


def client_str(username: str | None, ip_address: str | None, user_agent: str, path_info: Any, request: Any) -> str:
    """AXES_CLIENT_STR_CALLABLE: how axes names an attempt in its log lines. `username` is already the counted form
    (the AXES_USERNAME_CALLABLE's); the address is left out of log files, where the audit log keeps it."""
    return f"{{username: {username!r}}}"


def _networks(entries: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()]


def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the address of the browser, which the counters are kept for.

    REMOTE_ADDR, unless the connection comes from one of DOLBOM_TRUSTED_PROXIES: then X-Forwarded-For is read from
    its right end (what our proxies appended) leftwards, and the first address that is not one of our proxies is
    the client. Whatever a client writes into the header itself stays to the left of that and is never read.
    Hand-written because django-ipware matches the proxies named *inside* the header and ignores the connection's
    real peer, so a client that reaches the server directly could still choose its own address.
    """
    peer = request.META.get("REMOTE_ADDR") or None
    proxies = _networks(settings.TRUSTED_PROXIES)
    peer_address = _address(peer)
    if not proxies or peer_address is None or not any(peer_address in net for net in proxies):
        return peer
    client = str(peer_address)
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        hop_address = _address(hop)
        if hop_address is None:
            break  # not an address: nothing further left can be trusted; the last proxy's word stands
        client = str(hop_address)
        if not any(hop_address in net for net in proxies):
            break
    return client


def pair_limit(request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
    """AXES_FAILURE_LIMIT: read at each request, so that a changed setting applies at once."""
    return settings.LOCKOUT_FAILURES


def cool_off(request: HttpRequest | None = None) -> timedelta:
    """AXES_COOLOFF_TIME: how long a failure counts after the last one of its row."""
    return timedelta(minutes=settings.LOCKOUT_MINUTES)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the login page already says why in Korean (the form's lockout error); axes only
    marks it 429 Too Many Requests."""
    if original_response is None:
        return HttpResponse(status=TOO_MANY_REQUESTS)
    original_response.status_code = TOO_MANY_REQUESTS
    return original_response


def _serialise(database: str, keys: Iterable[str]) -> None:
    """Make the check-and-count of attempts sharing a user name or an address one at a time."""
    connection = connections[database]
    if connection.vendor == "postgresql":
        # Transaction-level advisory locks, taken in one order by everyone (no deadlock), released at commit.
        ids = sorted(
            {int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True) for key in keys}
        )
        with connection.cursor() as cursor:
            for lock_id in ids:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])
    elif connection.vendor == "sqlite":
        # BEGIN IMMEDIATE took the database's write lock when the transaction opened; a deferred BEGIN would let
        # two attempts read the same count before either writes.
        if connection.settings_dict.get("OPTIONS", {}).get("transaction_mode") != "IMMEDIATE":
            raise ImproperlyConfigured("login throttling on SQLite needs OPTIONS transaction_mode=IMMEDIATE")
    else:
        raise ImproperlyConfigured(f"login throttling does not know how to serialise on {connection.vendor}")


class ThrottleBackend(AxesStandaloneBackend):
    """The first authentication backend: refuses a locked attempt before any password is checked."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        if request is None:
            # authenticate() without a request is code running on the server (a script, the test client's
            # login()), never a client over the network: there is nobody to throttle.
            return None
        return super().authenticate(request, username, password, **kwargs)


class AtomicDatabaseHandler(AxesDatabaseHandler):
    """AXES_HANDLER: axes' database handler with the check and the count in one step (see the module docstring)."""

    def is_allowed(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        if self.is_blacklisted(request, credentials):
            request.axes_locked_out = True
            return False
        if self.is_whitelisted(request, credentials):
            return True
        username = get_client_username(request, credentials)
        address = request.axes_ip_address
        database = router.db_for_write(AccessAttempt)
        with transaction.atomic(using=database):
            _serialise(database, [f"dolbom-login-user:{username}", f"dolbom-login-address:{address}"])
            self._forget_expired(request)
            if self._over_a_limit(request, username, address):
                request.axes_locked_out = True
                request.axes_credentials = credentials
                return False
            self._count(request, username, address)
        return True

    def _over_a_limit(self, request: HttpRequest, username: str | None, address: str | None) -> bool:
        by_address, by_account = Q(ip_address=address), Q(username=username)
        pair = by_address & by_account
        counts = (
            AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
            .filter(by_address | by_account)
            .aggregate(
                pair=Coalesce(Sum("failures_since_start", filter=pair), 0),
                address=Coalesce(Sum("failures_since_start", filter=by_address), 0),
                account=Coalesce(Sum("failures_since_start", filter=by_account), 0),
            )
        )
        if counts["pair"] >= settings.LOCKOUT_FAILURES or counts["address"] >= settings.LOCKOUT_ADDRESS_FAILURES:
            return True
        return counts["account"] >= settings.LOCKOUT_ACCOUNT_FAILURES and not self._known(request, username, address)

    def _known(self, request: HttpRequest, username: str | None, address: str | None) -> bool:
        """Has this user name logged in from this address recently?"""
        since = request.axes_attempt_time - timedelta(days=settings.LOCKOUT_KNOWN_DAYS)
        return AccessLog.objects.filter(username=username, ip_address=address, attempt_time__gte=since).exists()

    def _count(self, request: HttpRequest, username: str | None, address: str | None) -> None:
        row = {"username": username, "ip_address": address, "user_agent": request.axes_user_agent}
        seen = {
            "attempt_time": request.axes_attempt_time,
            "path_info": request.axes_path_info,
            "http_accept": request.axes_http_accept,
        }
        # A row whose failures have expired starts again from one rather than adding to its old count.
        restarted = Case(
            When(attempt_time__lt=get_cool_off_threshold(request), then=Value(1)),
            default=F("failures_since_start") + 1,
        )
        if not AccessAttempt.objects.filter(**row).update(failures_since_start=restarted, **seen):
            AccessAttempt.objects.create(
                **row,
                **seen,
                failures_since_start=1,
                # Passwords and user names are masked by axes (AXES_SENSITIVE_PARAMETERS); NUL breaks PostgreSQL.
                get_data=get_query_str(request.GET).replace("\0", "0x00"),
                post_data=get_query_str(request.POST).replace("\0", "0x00"),
            )

    def _forget_expired(self, request: HttpRequest) -> None:
        """Housekeeping of every counter's expired rows. Rows another attempt is counting on right now are skipped,
        never waited for, so two attempts tidying up at once cannot deadlock on PostgreSQL; the counts themselves
        ignore expired rows, so what is left for later changes nothing."""
        expired = AccessAttempt.objects.select_for_update(skip_locked=True).filter(
            attempt_time__lt=get_cool_off_threshold(request)
        )
        stale = list(expired.values_list("pk", flat=True)[:1000])
        if stale:
            AccessAttempt.objects.filter(pk__in=stale).delete()

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
    ) -> None:
        """Nothing left to do: the attempt was counted before its password was checked, or refused unchecked."""

    def user_logged_in(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        """The password was right: the pair's failures were this person's own, and the address becomes known."""
        username = counted_username(user.get_username())
        address = request.axes_ip_address
        now = request.axes_attempt_time
        with transaction.atomic(using=router.db_for_write(AccessAttempt)):
            AccessAttempt.objects.filter(username=username, ip_address=address).delete()
            AccessLog.objects.filter(
                username=username, attempt_time__lt=now - timedelta(days=settings.LOCKOUT_KNOWN_DAYS)
            ).delete()
            AccessLog.objects.create(
                username=username,
                ip_address=address,
                user_agent=request.axes_user_agent,
                http_accept=request.axes_http_accept,
                path_info=request.axes_path_info,
            )

    def user_logged_out(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        """Logouts change no counter (the audit log is where sessions are traced)."""

    def reset_attempts(
        self, *, ip_address: str | None = None, username: str | None = None, ip_or_username: bool = False
    ) -> int:
        """`dolbom manage axes_reset_username Officer` unlocks `officer`: the counters are kept in lower case, and
        a name that is no account under its keyed hash, which the typed name finds again."""
        return super().reset_attempts(
            ip_address=ip_address, username=counted_username(username), ip_or_username=ip_or_username
        )
