"""The append-only audit log (PIPA: every read of personal data, export and search is recorded), chained by a
keyed MAC and anchored outside the database.

**Links.** Each event's `hash` is HMAC-SHA256, keyed with DOLBOM_AUDIT_KEY, over the previous event's hash and
the event's canonical JSON (which names the key by its fingerprint, `key_id`). Database triggers refuse UPDATE and
DELETE on the table (migration 0002), so tampering needs a privileged hand; and since the key lives outside the
database (environment, or the development keys.env), that hand can change, insert or delete rows but cannot
compute links that verify. Rotation: the current key links new events; keys in DOLBOM_AUDIT_OLD_KEYS still verify
the events and anchors they signed, found by fingerprint, as core.crypto does for resident numbers.

**Events from before keyed links** (plain SHA-256, `key_id` NULL) still verify, under two rules that keep them
from becoming a way around the key:
- they are accepted only as a prefix of the chain: an unkeyed link after a keyed one is a rewrite;
- the migration that introduced keys (core 0003) appended one keyed event right after them (`core.audit_keyed`),
  whose MAC covers the last unkeyed hash. A later change to the prefix therefore breaks that event, and a chain
  whose events are all unkeyed (an intruder recomputing everything with plain SHA-256) is reported, because every
  legitimate chain that has unkeyed events ends them with that keyed event.
What the key cannot tell is whether the prefix was altered *before* the upgrade, when only the triggers guarded
it: `verify` reports the prefix as protected only by anchors (or a backup) from that time.

**Anchors.** The database also holds the chain head, so deleting the last events and moving the head back leaves
a consistent chain. `anchor()` appends the head (seq, hash, time, key id), signed, as one JSON line to a file that
operations copies off the server; `verify()` checks every anchor: a line whose signature fails was forged, a log
that ends before an anchored seq was cut, and an event whose hash differs from its anchor's was rewritten at or
before that seq, even by someone holding the key. Anchors are signed with HMAC under the audit key (with a prefix
that keeps an anchor's MAC apart from an event's) rather than with Ed25519: the only verifier is Dolbom, which
holds the key anyway, so a key pair would be a second secret to keep and rotate without stopping anyone the HMAC
does not stop; what matters is that the copies shipped elsewhere cannot be edited by the intruder.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dolbom.core.crypto import _decode_key
from dolbom.core.models import AuditChainHead, AuditEvent
from dolbom.core.numbers import redact

GENESIS = "0" * 64
SEALED_ACTION = "core.audit_keyed"
ANCHOR_VERSION = 1
_ANCHOR_DOMAIN = b"dolbom-audit-anchor\n"


# --- Keys ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Keys:
    current_id: str
    by_id: dict[str, bytes]

    @property
    def current(self) -> bytes:
        return self.by_id[self.current_id]


def key_fingerprint(key: bytes) -> str:
    """Short public name of an audit key (8 hex digits); it reveals nothing usable about the key."""
    return hashlib.sha256(b"dolbom-audit-key-id" + key).hexdigest()[:8]


@cache
def _load_keys(current: str, old: tuple[str, ...]) -> _Keys:
    key = _decode_key(current, "DOLBOM_AUDIT_KEY")
    by_id = {key_fingerprint(key): key}
    for i, text in enumerate(old):
        old_key = _decode_key(text, f"DOLBOM_AUDIT_OLD_KEYS[{i}]")
        by_id.setdefault(key_fingerprint(old_key), old_key)
    return _Keys(key_fingerprint(key), by_id)


def _keys() -> _Keys:
    # Cached per configured value, so a rotation in settings (tests, a reloaded process) takes effect at once.
    return _load_keys(settings.AUDIT_KEY, tuple(settings.AUDIT_OLD_KEYS))


# --- Links -----------------------------------------------------------------------------------------------------


def _canonical(event: Any) -> bytes:
    payload = {
        "seq": event.seq,
        "at": event.at.isoformat(timespec="microseconds"),
        "actor": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "reason": event.reason,
        "detail": event.detail,
    }
    if event.key_id is not None:
        # Keyed events bind their key id too; unkeyed ones keep the exact payload they were written with.
        payload["key"] = event.key_id
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _unkeyed_link(event: Any) -> str:
    return hashlib.sha256(event.prev_hash.encode() + b"\n" + _canonical(event)).hexdigest()


def _keyed_link(key: bytes, event: Any) -> str:
    return hmac.new(key, event.prev_hash.encode() + b"\n" + _canonical(event), hashlib.sha256).hexdigest()


def _append(event_model: type[models.Model], head_model: type[models.Model], **fields: Any) -> Any:
    keys = _keys()
    with transaction.atomic():
        head, _created = head_model.objects.select_for_update().get_or_create(id=1, defaults={"hash": GENESIS})
        at = timezone.now()  # microseconds survive SQLite's and PostgreSQL's round trip: the hash recomputes
        event = event_model(seq=head.seq + 1, at=at, key_id=keys.current_id, prev_hash=head.hash, **fields)
        event.hash = _keyed_link(keys.current, event)
        event.save(force_insert=True)
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


def record(
    actor: Any,
    action: str,
    target: models.Model | None = None,
    *,
    reason: str = "",
    detail: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
) -> AuditEvent:
    """Append one event. Call it inside the transaction of the change it describes, so both land or neither.

    Every text of the event (the reason, each string of the detail) is scrubbed of resident, phone and card numbers
    however typed (core.numbers), whatever the caller passed: the log is append-only, so a number that reached it
    could never be taken out again. Lengths are bounded for the same reason."""
    reason = _scrub(reason)[:MAX_REASON]
    detail = _scrub(detail or {})
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return _append(
        AuditEvent,
        AuditChainHead,
        actor=actor if authenticated else None,
        actor_name=actor.get_username() if authenticated else "system",
        action=action,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
        detail=detail,
    )


# An audit reason is a sentence someone states; the log is not the place for a document.
MAX_REASON = 1000
# Hex digests and key ids are the log's own references (a file's sha256, a search's keyed hash): left as they are.
_DIGEST = re.compile(r"^[0-9a-f]{8,128}$")


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return value if _DIGEST.match(value) else redact(value, masked=True)
    if isinstance(value, dict):
        return {key: _scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def seal_unkeyed_events(event_model: type[models.Model], head_model: type[models.Model]) -> Any | None:
    """Append one keyed event after the events written before links were keyed (migration core 0003, with its
    historical models), so that the unkeyed prefix is covered by the key from now on; see the module docstring."""
    last = event_model.objects.order_by("-seq").values_list("seq", "key_id").first()
    if last is None or last[1] is not None:
        return None
    return _append(
        event_model,
        head_model,
        actor=None,
        actor_name="system",
        action=SEALED_ACTION,
        object_type="",
        object_id="",
        reason="",
        detail={"unkeyed_until": last[0]},
    )


# --- Anchors ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: str
    key_id: str
    line: int = 0

    @property
    def when(self) -> str:
        return self.at[:16].replace("T", " ")


def anchor_file() -> Path:
    return Path(settings.AUDIT_ANCHOR_FILE)


def _anchor_body(seq: int, hash_: str, at: str, key_id: str) -> bytes:
    body = {"v": ANCHOR_VERSION, "seq": seq, "hash": hash_, "at": at, "key": key_id}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _anchor_mac(key: bytes, body: bytes) -> str:
    return hmac.new(key, _ANCHOR_DOMAIN + body, hashlib.sha256).hexdigest()


class AnchorRefused(Exception):
    """The head is not anchored because the chain already looks altered: anchoring it would vouch for it."""

    def __init__(self, seq: int, message: str) -> None:
        super().__init__(message)
        self.seq = seq


def _make_private_folders(folder: Path) -> None:
    """Create the missing folders 0700 whatever the umask (mkdir's mode is filtered by it); existing ones are the
    operator's and keep their permissions."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)
        path.chmod(0o700)


def anchor(path: Path | None = None) -> Anchor:
    """Append the signed chain head to the anchor file and return it; refuse when the head does not verify or no
    longer contains the last anchor, since the cron job's failure is then the alarm."""
    path = path or anchor_file()
    keys = _keys()
    head = AuditChainHead.objects.filter(id=1).first()
    seq, hash_ = (head.seq, head.hash) if head else (0, GENESIS)
    if seq:
        last = AuditEvent.objects.filter(seq=seq).first()
        key = keys.by_id.get(last.key_id or "") if last else None
        if last is None or last.hash != hash_ or key is None or _keyed_link(key, last) != last.hash:
            raise AnchorRefused(seq, _("the chain head does not verify"))
    if path.exists():
        anchors, _problems = read_anchors(path)
        previous = max(anchors, key=lambda a: a.seq, default=None)
        if previous is not None and previous.seq > 0:
            event = AuditEvent.objects.filter(seq=previous.seq).only("hash").first()
            if previous.seq > seq or event is None or event.hash != previous.hash:
                raise AnchorRefused(previous.seq, _("the log no longer matches the last anchor"))
    at = timezone.localtime().isoformat(timespec="seconds")  # in the server's zone (KST), as operators read it
    body = _anchor_body(seq, hash_, at, keys.current_id)
    line = json.loads(body)
    line["mac"] = _anchor_mac(keys.current, body)
    _make_private_folders(path.parent)
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        if created:
            os.fchmod(fd, 0o600)  # O_CREAT's mode is filtered by the umask (0400 under 0277): set it exactly
        # One write of one line with O_APPEND: two anchor runs at once cannot interleave their lines.
        os.write(fd, (json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return Anchor(seq, hash_, at, keys.current_id)


def _parse_anchor(text: str) -> tuple[dict[str, Any] | None, int | None]:
    try:
        line = json.loads(text)
    except ValueError:
        return None, None
    if not isinstance(line, dict):
        return None, None
    seq = line.get("seq")
    seq = seq if isinstance(seq, int) and not isinstance(seq, bool) and seq >= 0 else None
    fields_ok = all(isinstance(line.get(name), str) for name in ("hash", "at", "key", "mac"))
    if seq is None or not fields_ok or line.get("v") != ANCHOR_VERSION:
        return None, seq
    return line, seq


def read_anchors(path: Path) -> tuple[list[Anchor], list[ChainProblem]]:
    """The anchors of a file whose signature verifies, and a problem for every line that is not one."""
    keys = _keys()
    anchors: list[Anchor] = []
    problems: list[ChainProblem] = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            line, seq = _parse_anchor(text)
            if line is None:
                problems.append(
                    ChainProblem(seq, _("line %(line)s of the anchor file is not an anchor") % {"line": number})
                )
                continue
            key = keys.by_id.get(line["key"])
            body = _anchor_body(seq, line["hash"], line["at"], line["key"])
            if key is None:
                message = _("the anchor on line %(line)s is signed with a key that is not configured")
                problems.append(ChainProblem(seq, message % {"line": number}))
            elif not hmac.compare_digest(_anchor_mac(key, body), line["mac"]):
                message = _("the anchor on line %(line)s has no valid signature (forged or altered)")
                problems.append(ChainProblem(seq, message % {"line": number}))
            else:
                anchors.append(Anchor(seq, line["hash"], line["at"], line["key"], line=number))
    return anchors, problems


# --- Verification ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainProblem:
    """One break in the log, named by sequence number only (the verify page shows it to every administrator)."""

    seq: int | None
    message: str
    last: int | None = None

    @property
    def where(self) -> str:
        if self.seq is None:
            return ""
        return f"#{self.seq}" if self.last in (None, self.seq) else f"#{self.seq}–#{self.last}"


@dataclass
class Verification:
    problems: list[ChainProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    events: int = 0
    anchors: int = 0

    @property
    def intact(self) -> bool:
        return not self.problems


def _event_message(kind: str) -> str:
    # Literal calls, so that the catalogue extraction sees every message.
    return {
        "order": _("does not follow the event before it (deleted, inserted or reordered)"),
        "mac": _("its link does not verify with the audit key (edited, or recomputed without the key)"),
        "unkeyed_edit": _("content differs from what was recorded (edited)"),
        "unkeyed_late": _("has an unkeyed link after keyed ones (recomputed without the key)"),
        "unknown_key": _("is linked with a key that is not configured (DOLBOM_AUDIT_KEY / DOLBOM_AUDIT_OLD_KEYS)"),
    }[kind]


class _Runs:
    """Collects per-event findings, merging consecutive events with the same finding into one problem: an
    intruder's recomputation repeats the same break on every following event, which is one fact, not thousands."""

    def __init__(self) -> None:
        self.problems: list[ChainProblem] = []
        self._open: dict[str, list[int]] = {}

    def add(self, kind: str, seq: int) -> None:
        run = self._open.get(kind)
        if run and run[1] == seq - 1:
            run[1] = seq
            return
        self._close(kind)
        self._open[kind] = [seq, seq]

    def _close(self, kind: str) -> None:
        run = self._open.pop(kind, None)
        if run:
            self.problems.append(ChainProblem(run[0], _event_message(kind), last=run[1]))

    def other(self, problem: ChainProblem) -> None:
        self.problems.append(problem)

    def finish(self) -> list[ChainProblem]:
        for kind in list(self._open):
            self._close(kind)
        return sorted(self.problems, key=lambda p: (p.seq is None, p.seq or 0))


def verify(anchors: Path | None = None, *, chunk: int = 5000) -> Verification:
    """Walk the whole chain once, checking every link and every anchor of the anchor file (default: the configured
    one; a missing default file is a note, not a problem, so that a fresh install verifies)."""
    return _verify(anchors or anchor_file(), chunk=chunk)


def verify_chain(*, chunk: int = 5000) -> Iterator[ChainProblem]:
    """The chain's own breaks, without anchors (for callers that only need the links and the head checked)."""
    yield from _verify(None, chunk=chunk).problems


def _verify(path: Path | None, *, chunk: int) -> Verification:
    result = Verification()
    runs = _Runs()
    by_seq: dict[int, list[Anchor]] = {}
    if path is not None and path.exists():
        valid, anchor_problems = read_anchors(path)
        for problem in anchor_problems:
            runs.other(problem)
        result.anchors = len(valid)
        for item in valid:
            by_seq.setdefault(item.seq, []).append(item)
    elif path is not None:
        result.notes.append(
            _(
                "There is no anchor file: a log whose last events were removed cannot be detected. "
                "Run `dolbom audit anchor` regularly and keep copies elsewhere."
            )
        )
    matched: list[int] = []
    differing: list[Anchor] = []

    def compare(seq: int, hash_: str) -> None:
        for item in by_seq.get(seq, ()):
            if item.hash == hash_:
                matched.append(seq)
            else:
                differing.append(item)

    compare(0, GENESIS)  # an anchor of the empty log
    keys = _keys()
    expected_prev, expected_seq, last_seq = GENESIS, 1, 0
    unkeyed_until: int | None = None
    first_keyed: int | None = None
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=chunk):
        result.events += 1
        if event.seq != expected_seq:
            runs.other(ChainProblem(expected_seq, _("missing (deleted)"), last=event.seq - 1))
        if event.prev_hash != expected_prev:
            runs.add("order", event.seq)
        if event.key_id is None:
            if first_keyed is None:
                unkeyed_until = event.seq
            else:
                runs.add("unkeyed_late", event.seq)
            if _unkeyed_link(event) != event.hash:
                runs.add("unkeyed_edit", event.seq)
        else:
            first_keyed = first_keyed or event.seq
            key = keys.by_id.get(event.key_id)
            if key is None:
                runs.add("unknown_key", event.seq)
            elif not hmac.compare_digest(_keyed_link(key, event), event.hash):
                runs.add("mac", event.seq)
        compare(event.seq, event.hash)
        expected_prev, expected_seq, last_seq = event.hash, event.seq + 1, event.seq

    if unkeyed_until is not None and first_keyed is None:
        message = _(
            "events 1–%(last)s all have unkeyed links and no keyed event follows them: "
            "the chain was recomputed without the key"
        )
        runs.other(ChainProblem(unkeyed_until, message % {"last": unkeyed_until}))
    elif unkeyed_until is not None:
        note = _(
            "Events 1–%(last)s were linked with plain SHA-256 before links were keyed. Event %(sealed)s covers "
            "them with the key, so any later change is detected; a change made before then can be ruled out "
            "only against an anchor or a backup from that time."
        )
        result.notes.append(note % {"last": unkeyed_until, "sealed": first_keyed})

    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and (head.seq != last_seq or head.hash != expected_prev):
        message = _("the log ends at event %(last)s but event %(head)s was recorded (events removed)")
        runs.other(ChainProblem(head.seq, message % {"last": last_seq, "head": head.seq}))

    beyond = [a for seq, items in by_seq.items() if seq > last_seq for a in items]
    if beyond:
        latest = max(beyond, key=lambda a: a.seq)
        message = _(
            "events after %(last)s were removed: the anchor of %(when)s (line %(line)s) recorded the log up to "
            "event %(seq)s"
        )
        values = {"last": last_seq, "when": latest.when, "line": latest.line, "seq": latest.seq}
        runs.other(ChainProblem(latest.seq, message % values))
    seen = set(matched) | {a.seq for a in differing}
    for seq, items in sorted(by_seq.items()):
        if 0 < seq <= last_seq and seq not in seen:
            message = _("is missing although the anchor of %(when)s (line %(line)s) recorded it")
            runs.other(ChainProblem(seq, message % {"when": items[0].when, "line": items[0].line}))
    if differing:
        first = min(differing, key=lambda a: a.seq)
        since = max((s for s in matched if s < first.seq), default=0) + 1
        message = _(
            "differs from the anchor of %(when)s (line %(line)s): the log was rewritten between events "
            "%(since)s and %(seq)s (%(count)s anchors differ)"
        )
        values = {"when": first.when, "line": first.line, "since": since, "seq": first.seq, "count": len(differing)}
        runs.other(ChainProblem(first.seq, message % values))
    result.problems = runs.finish()
    return result
