import pytest
from django.db import DatabaseError, connection, transaction

from dolbom.cli import main as dolbom
from dolbom.core import audit
from dolbom.core.models import AuditEvent


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


@pytest.fixture
def events(db, django_user_model):
    user = django_user_model.objects.create_user("auditor", password="x" * 12)
    return [audit.record(user, f"test.action{i}", reason=f"사유 {i}", detail={"i": i}) for i in range(5)]


def test_intact_chain_verifies(events):
    assert list(audit.verify_chain()) == []
    assert [e.seq for e in AuditEvent.objects.order_by("seq")] == [1, 2, 3, 4, 5]
    assert events[1].prev_hash == events[0].hash


def test_the_database_refuses_updates_and_deletes(events):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=2).update(reason="고침")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=2).delete()


def test_an_edited_row_is_detected(events):
    _drop_triggers()
    AuditEvent.objects.filter(seq=3).update(reason="다른 사유")
    problems = list(audit.verify_chain())
    assert [(p.seq, "edited" in p.message) for p in problems] == [(3, True)]


def test_a_deleted_row_is_detected(events):
    _drop_triggers()
    AuditEvent.objects.filter(seq=2).delete()
    problems = list(audit.verify_chain())
    assert {p.seq for p in problems} == {3}
    assert any("missing" in p.message for p in problems)


def test_a_cut_off_tail_is_detected(events):
    _drop_triggers()
    AuditEvent.objects.filter(seq=5).delete()
    problems = list(audit.verify_chain())
    assert len(problems) == 1 and "ends at event 4" in problems[0].message


def test_a_rewritten_chain_without_the_key_row_is_detected(events):
    """Recomputing every hash after an edit is not enough: the chain head no longer matches."""
    _drop_triggers()
    event = AuditEvent.objects.get(seq=5)
    event.reason = "바꿈"
    event.hash = audit._link(event.prev_hash, event)
    event.save()
    assert any("ends at" in p.message for p in audit.verify_chain())


def test_cli_verify_exit_codes(events, capsys):
    assert dolbom(["audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out
    _drop_triggers()
    AuditEvent.objects.filter(seq=1).update(action="tampered")
    assert dolbom(["audit", "verify"]) == 1
    assert "altered" in capsys.readouterr().out
