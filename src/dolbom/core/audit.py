"""The append-only, hash-chained audit log (PIPA: every read of personal data, export and search is recorded).

Each event's hash is SHA-256 over the previous hash and the event's canonical JSON, so editing any field of any
event, deleting an event or cutting off the tail breaks verification. Database triggers also refuse UPDATE and
DELETE on the table (see the migration), so tampering needs a privileged hand, which the chain then reveals.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from dolbom.core.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64


def _canonical(event: AuditEvent) -> bytes:
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
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _link(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + _canonical(event)).hexdigest()


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
    """Append one event. Call it inside the transaction of the change it describes, so both land or neither."""
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1, defaults={"hash": GENESIS})
        at = timezone.now()  # microseconds survive SQLite's and PostgreSQL's round trip: the hash recomputes
        event = AuditEvent(
            seq=head.seq + 1,
            at=at,
            actor=actor if authenticated else None,
            actor_name=actor.get_username() if authenticated else "system",
            action=action,
            object_type=object_type,
            object_id=object_id,
            reason=reason,
            detail=detail or {},
            prev_hash=head.hash,
        )
        event.hash = _link(head.hash, event)
        event.save(force_insert=True)
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    message: str


def verify_chain(*, chunk: int = 5000) -> Iterator[ChainProblem]:
    """Walk the whole chain in order, yielding each break; an intact log yields nothing."""
    expected_prev, expected_seq = GENESIS, 1
    last_seq = 0
    events = AuditEvent.objects.order_by("seq").iterator(chunk_size=chunk)
    for event in events:
        if event.seq != expected_seq:
            yield ChainProblem(event.seq, f"events {expected_seq}–{event.seq - 1} are missing")
        if event.prev_hash != expected_prev:
            yield ChainProblem(event.seq, "does not follow the event before it (deleted or reordered)")
        if _link(event.prev_hash, event) != event.hash:
            yield ChainProblem(event.seq, "content differs from what was recorded (edited)")
        expected_prev, expected_seq, last_seq = event.hash, event.seq + 1, event.seq
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and (head.seq != last_seq or head.hash != expected_prev):
        yield ChainProblem(head.seq, f"the log ends at event {last_seq} but event {head.seq} was recorded")
