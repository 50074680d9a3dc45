"""The audit log against someone who can write its table: triggers first, then the keyed chain, then the anchors.

The attacks are made the way an intruder with database access would make them: raw SQL after dropping the
triggers, links recomputed with the published format (plain SHA-256 when the key is out of reach), and the
verdict read from `dolbom audit verify` and the administrator's page."""

import base64
import hashlib
import hmac
import json
import os
import stat

import pytest
from django.conf import settings as django_settings
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from dolbom.cli import main as dolbom
from dolbom.core import audit
from dolbom.core.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64


def _drop_triggers():
    """What a privileged intruder would do first; the chain must still catch what follows."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER core_auditevent_no_update")
            cursor.execute("DROP TRIGGER core_auditevent_no_delete")
        else:
            # Deferred foreign-key checks of the rows just written would make PostgreSQL refuse the ALTER.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_no_change")


def _sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _current_key():
    return django_settings.AUDIT_KEY


def _plain_sha256(prev_hash: str, payload: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + payload).hexdigest()


def _hmac_with(key_text: str):
    key = base64.b64decode(key_text)
    return lambda prev_hash, payload: hmac.new(key, prev_hash.encode() + b"\n" + payload, hashlib.sha256).hexdigest()


def _rewrite(from_seq, *, link=_plain_sha256, unkeyed=False, edit=None):
    """Edit the event at `from_seq` (actor, reason…) and recompute every link from there on, in the published
    payload format, then move the head: what an intruder who can write the table does to hide an edit."""
    rows = list(AuditEvent.objects.order_by("seq"))
    prev = next((r.hash for r in rows if r.seq == from_seq - 1), GENESIS)
    for row in rows:
        if row.seq < from_seq:
            continue
        if row.seq == from_seq:
            for name, value in (edit or {}).items():
                setattr(row, name, value)
        key_id = None if unkeyed else getattr(row, "key_id", None)
        payload = {
            "seq": row.seq,
            "at": row.at.isoformat(timespec="microseconds"),
            "actor": row.actor_id,
            "actor_name": row.actor_name,
            "action": row.action,
            "object_type": row.object_type,
            "object_id": row.object_id,
            "reason": row.reason,
            "detail": row.detail,
        }
        if key_id is not None:
            payload["key"] = key_id
        new_hash = link(prev, json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode())
        columns = "actor_id = %s, actor_name = %s, reason = %s, prev_hash = %s, hash = %s"
        if unkeyed:
            columns += ", key_id = NULL"
        _sql(
            f"UPDATE core_auditevent SET {columns} WHERE seq = %s",
            [row.actor_id, row.actor_name, row.reason, prev, new_hash, row.seq],
        )
        prev = new_hash
    _sql("UPDATE core_auditchainhead SET hash = %s WHERE id = 1", [prev])


def _cut_tail(keep_until: int):
    """Delete the last events and move the head back to the one kept: a consistent, shorter chain."""
    kept = AuditEvent.objects.get(seq=keep_until)
    _sql("DELETE FROM core_auditevent WHERE seq > %s", [keep_until])
    _sql("UPDATE core_auditchainhead SET seq = %s, hash = %s WHERE id = 1", [kept.seq, kept.hash])


def _anchor(capsys, *args):
    code = dolbom(["audit", "anchor", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _verify(capsys, *args):
    code = dolbom(["audit", "verify", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture
def user(db, django_user_model):
    return django_user_model.objects.create_user("auditor", password="x" * 12)


@pytest.fixture
def intruder(db, django_user_model):
    return django_user_model.objects.create_user("intruder", password="x" * 12)


@pytest.fixture
def events(user):
    return [audit.record(user, f"test.action{i}", reason=f"사유 {i}", detail={"i": i}) for i in range(5)]


def test_intact_chain_verifies(events, capsys):
    assert list(audit.verify_chain()) == []
    assert [e.seq for e in AuditEvent.objects.order_by("seq")] == [1, 2, 3, 4, 5]
    assert events[1].prev_hash == events[0].hash
    assert {e.key_id for e in AuditEvent.objects.all()} == {audit.key_fingerprint(base64.b64decode(_current_key()))}
    code, out = _verify(capsys)
    assert code == 0 and "감사 로그가 온전합니다" in out


def test_the_database_refuses_updates_and_deletes(events):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=2).update(reason="고침")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=2).delete()


def test_an_edited_row_is_detected(events):
    _drop_triggers()
    _sql("UPDATE core_auditevent SET reason = %s WHERE seq = 3", ["다른 사유"])
    assert [p.where for p in audit.verify_chain()] == ["#3"]


def test_a_deleted_row_is_detected(events):
    _drop_triggers()
    _sql("DELETE FROM core_auditevent WHERE seq = 2")
    assert [p.where for p in audit.verify_chain()] == ["#2", "#3"]  # missing, then does not follow


def test_a_cut_off_tail_is_detected_by_the_head(events):
    _drop_triggers()
    _sql("DELETE FROM core_auditevent WHERE seq = 5")
    assert [p.seq for p in audit.verify_chain()] == [5]


@pytest.mark.parametrize(
    ("from_seq", "unkeyed"),
    [(3, False), (3, True), (1, True)],
    ids=["links-recomputed", "passed-off-as-unkeyed-from-the-edit", "whole-chain-passed-off-as-unkeyed"],
)
def test_an_edit_with_every_following_link_recomputed_without_the_key_is_detected(
    events, intruder, capsys, from_seq, unkeyed
):
    """Change who did it and why, recompute every hash after it with plain SHA-256 (all one can do without the
    key) and move the head: the chain must not verify, and the report names the event."""
    _drop_triggers()
    _rewrite(
        from_seq,
        unkeyed=unkeyed,
        edit={"actor_id": intruder.pk, "actor_name": "intruder", "reason": "정기 점검"},
    )
    assert AuditEvent.objects.get(seq=from_seq).actor_name == "intruder"
    code, out = _verify(capsys)
    assert code == 1, out
    assert "감사 로그가 변경되었습니다" in out
    first_line = out.splitlines()[0]
    # A rewrite from the first event on is reported at the last unkeyed event: nothing keyed follows them.
    assert first_line.startswith(f"#{from_seq}" if from_seq > 1 else "#5"), out


def test_a_cut_tail_with_the_head_moved_back_is_caught_by_the_anchor(events, tmp_path, capsys):
    anchors = tmp_path / "shipped" / "audit-anchors.jsonl"
    code, out = _anchor(capsys, "--file", str(anchors))
    assert code == 0 and "기록 5까지 앵커를 남겼습니다" in out
    _drop_triggers()
    _cut_tail(3)
    assert list(audit.verify_chain()) == []  # the chain alone is consistent: that is why anchors exist
    code, out = _verify(capsys, "--anchors", str(anchors))
    assert code == 1, out
    assert out.startswith("#5 ") and "기록 3 이후의 기록이 삭제되었습니다" in out, out


def test_a_rewrite_by_someone_holding_the_key_is_caught_by_the_anchor(events, user, intruder, tmp_path, capsys):
    anchors = tmp_path / "anchors.jsonl"
    assert _anchor(capsys, "--file", str(anchors))[0] == 0
    audit.record(user, "test.after_anchor")
    assert _anchor(capsys, "--file", str(anchors))[0] == 0
    audit.record(user, "test.after_second_anchor")
    _drop_triggers()
    _rewrite(2, link=_hmac_with(_current_key()), edit={"actor_id": intruder.pk, "actor_name": "intruder"})
    assert list(audit.verify_chain()) == []  # with the key the links verify; only the anchors remember
    code, out = _verify(capsys, "--anchors", str(anchors))
    assert code == 1, out
    assert out.startswith("#5 ") and "기록 1–5 사이가 다시 작성되었습니다" in out and "앵커 2개" in out, out


def test_forged_anchor_lines_are_reported_with_their_seq(events, tmp_path, capsys):
    anchors = tmp_path / "anchors.jsonl"
    assert _anchor(capsys, "--file", str(anchors))[0] == 0
    genuine = json.loads(anchors.read_text())
    moved = {**genuine, "seq": 2}  # an anchor claiming an earlier head, with the genuine signature
    other_key = base64.b64encode(os.urandom(32)).decode()
    body = {k: genuine[k] for k in ("v", "hash", "at", "key")} | {"seq": 4}
    payload = b"dolbom-audit-anchor\n" + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    signed_elsewhere = body | {"mac": hmac.new(base64.b64decode(other_key), payload, hashlib.sha256).hexdigest()}
    with anchors.open("a") as handle:
        for line in (moved, signed_elsewhere):
            handle.write(json.dumps(line) + "\n")
        handle.write("not json\n")
    code, out = _verify(capsys, "--anchors", str(anchors))
    assert code == 1, out
    lines = out.splitlines()
    assert lines[0].startswith("#2 ") and "2번째 줄" in lines[0] and "위조" in lines[0], out
    assert lines[1].startswith("#4 ") and "3번째 줄" in lines[1] and "위조" in lines[1], out
    assert any("4번째 줄은 앵커 형식이 아닙니다" in line for line in lines), out


def test_a_key_rotation_keeps_old_events_and_anchors_verifying(events, user, settings, tmp_path, capsys):
    anchors = tmp_path / "anchors.jsonl"
    assert _anchor(capsys, "--file", str(anchors))[0] == 0
    old_key = settings.AUDIT_KEY
    settings.AUDIT_KEY = base64.b64encode(os.urandom(32)).decode()
    settings.AUDIT_OLD_KEYS = [old_key]
    audit.record(user, "test.after_rotation")
    assert _anchor(capsys, "--file", str(anchors))[0] == 0
    key_ids = list(AuditEvent.objects.order_by("seq").values_list("key_id", flat=True))
    assert len(set(key_ids[:5])) == 1 and key_ids[5] != key_ids[0]
    code, out = _verify(capsys, "--anchors", str(anchors))
    assert code == 0 and "앵커 2개" in out, out

    # An old key dropped too early: its events and anchor can no longer be checked, and the report says which.
    settings.AUDIT_OLD_KEYS = []
    code, out = _verify(capsys, "--anchors", str(anchors))
    assert code == 1
    assert out.startswith("#1–#5 ") and "설정되지 않은 키" in out, out


@pytest.mark.parametrize("umask", [0o000, 0o277])
def test_anchor_file_and_its_folders_are_private_whatever_the_umask(events, tmp_path, capsys, umask):
    anchors = tmp_path / "new" / "folder" / "audit-anchors.jsonl"
    previous = os.umask(umask)
    try:
        assert _anchor(capsys, "--file", str(anchors))[0] == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE(anchors.stat().st_mode) == 0o600
    assert stat.S_IMODE(anchors.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(anchors.parent.parent.stat().st_mode) == 0o700
    line = json.loads(anchors.read_text())
    assert line["seq"] == 5 and line["hash"] == AuditEvent.objects.get(seq=5).hash


def test_anchoring_refuses_a_head_that_does_not_verify(events, tmp_path, capsys):
    anchors = tmp_path / "anchors.jsonl"
    _drop_triggers()
    _rewrite(4, edit={"reason": "바꿈"})
    code, out = _anchor(capsys, "--file", str(anchors))
    assert code == 1 and "기록 5" in out and not anchors.exists()


def test_events_from_before_keyed_links_verify_but_cannot_cover_a_rewrite(user, capsys):
    """An install upgraded with events written by plain SHA-256: they verify (as a prefix, covered by the keyed
    event the upgrade appends), but recomputing the chain as if it were all of that kind is caught."""
    _drop_triggers()
    for i in range(3):
        audit.record(user, f"test.before_upgrade{i}")
    _rewrite(1, unkeyed=True)  # the rows as the SHA-256 chain wrote them, key_id NULL
    sealed = audit.seal_unkeyed_events(AuditEvent, AuditChainHead)  # what migration core 0003 does
    audit.record(user, "test.after_upgrade")
    assert sealed.seq == 4 and sealed.key_id and sealed.detail == {"unkeyed_until": 3}
    code, out = _verify(capsys)
    assert code == 0, out
    assert "기록 1–3" in out and "기록 4" in out

    _rewrite(2, unkeyed=True, edit={"reason": "바꿈"})
    code, out = _verify(capsys)
    assert code == 1 and out.startswith("#5 "), out  # nothing keyed after the unkeyed events any more


def test_the_verify_page_checks_the_anchors_and_names_only_sequence_numbers(client, city, events, capsys):
    assert _anchor(capsys)[0] == 0  # into the configured DOLBOM_AUDIT_ANCHOR_FILE
    client.force_login(city.users["district_admin"])
    assert 'class="ok"' in client.get(reverse("audit_log"), {"verify": "1"}).content.decode()

    _drop_triggers()
    _cut_tail(3)
    html = client.get(reverse("audit_log"), {"verify": "1"}).content.decode()
    alert = html[html.index('role="alert"') : html.index("</div>", html.index('role="alert"'))]
    assert "#5" in alert and "기록 3 이후의 기록이 삭제되었습니다" in alert
    assert "auditor" not in alert and "사유" not in alert


def test_who_searched_for_a_person_is_found_by_the_keyed_hash(client, city, capsys):
    """A person asks who looked them up: the command finds the searches for their number or name however they
    were typed, although the log keeps them masked; and the inquiry is itself in the log."""
    from django.urls import reverse

    client.force_login(city.users["dong_officer"])
    for typed in ("500304-2000100", "500304 2000100", "김영희", "박민지"):
        client.get(reverse("household_search"), {"q": typed})
    code = dolbom(["audit", "searched", "５００３０４－２０００１００"])
    out = capsys.readouterr().out
    assert code == 0 and out.count("\t") == 2 * 4 and "주민등록번호(전체) 검색 2건" in out, out
    assert "500304-2000100" not in out and "2000100" not in out
    code = dolbom(["audit", "searched", "김 영희"])
    out = capsys.readouterr().out
    assert code == 0 and out.count("김*희") == 2 and "박" not in out, out
    inquiry = AuditEvent.objects.filter(action="core.audit_inquiry").order_by("seq")
    assert [e.detail["found"] for e in inquiry] == [2, 1] and "김영희" not in str([e.detail for e in inquiry])
    assert dolbom(["audit", "searched", "시청로"]) == 2
