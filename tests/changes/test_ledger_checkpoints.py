"""The ledger as proof (issue 14): what someone with superuser rights on the database does to the ledger is
caught against the signed checkpoints kept outside its table; TRUNCATE is refused."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from accountability.api.tokens import token_create
from accountability.audit.models import AuditEvent, LedgerCheckpoint
from accountability.changes.checkpoints import checkpoint_signature
from accountability.changes.ledger import ledger_verify, signoff_append, signoff_content, signoff_hash
from accountability.changes.models import SignOff
from tests.factories import ChangeFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger():
    change, signer = ChangeFactory(), PersonFactory()
    return [
        signoff_append(change=change, signer=signer, decision="reject", note=f"entry {n}") for n in range(4)
    ]


def as_superuser(*statements):
    """What the issue did: triggers off for the session (superuser), then plain SQL."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL session_replication_role = replica")
        for sql, params in statements:
            cursor.execute(sql, params)
        cursor.execute("SET LOCAL session_replication_role = origin")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_every_append_writes_a_signed_checkpoint_to_its_table_and_the_audit_log(ledger):
    newest = ledger[-1]
    checkpoint = LedgerCheckpoint.objects.order_by("-id").first()
    assert (checkpoint.entry_id, checkpoint.entries, checkpoint.entry_hash) == (newest.id, 4, newest.hash)
    assert checkpoint.signature == checkpoint_signature(entry_id=newest.id, entries=4, entry_hash=newest.hash)
    logged = AuditEvent.objects.filter(action="ledger.checkpoint").order_by("-id").first()
    assert logged.detail["signature"] == checkpoint.signature
    assert ledger_verify().ok


def test_it_refuses_truncate(ledger):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE changes_signoff CASCADE")
    assert SignOff.objects.count() == 4


def test_it_detects_a_deleted_newest_entry(ledger):
    as_superuser(("DELETE FROM changes_signoff WHERE id = %s", [ledger[-1].id]))

    result = ledger_verify()

    assert not result.ok
    assert result.first_broken_id == ledger[-1].id
    assert "newest entries were deleted" in result.reason


def test_it_detects_a_rechained_history(ledger):
    """Entry 2 rewritten and every hash after it recomputed: the chain fits, the checkpoint does not."""
    rows = list(SignOff.objects.order_by("id").values("id", "prev_hash", "hash", *_content_fields()))
    rows[1]["note"] = "it was an approval all along"
    statements, prev = [], rows[0]["hash"]
    for row in rows[1:]:
        new_hash = signoff_hash(prev_hash=prev, content=signoff_content(values=row))
        statements.append(
            (
                "UPDATE changes_signoff SET note = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [row["note"], prev, new_hash, row["id"]],
            )
        )
        prev = new_hash
    as_superuser(*statements)

    result = ledger_verify()

    assert not result.ok
    assert "rewritten and re-chained" in result.reason


def test_it_detects_an_emptied_table(ledger):
    as_superuser(("TRUNCATE changes_signoff CASCADE", []))
    assert SignOff.objects.count() == 0

    result = ledger_verify()

    assert not result.ok
    assert "table emptied" in result.reason


def test_it_detects_an_emptied_table_and_checkpoints_with_a_monitors_copy(ledger, capsys):
    token_raw = token_create(name="monitor", scopes=["read"])[1]
    from django.test import Client

    kept = Client().get("/api/v1/ledger/checkpoint", HTTP_AUTHORIZATION=f"Bearer {token_raw}").json()
    assert (kept["entry_id"], kept["entries"]) == (ledger[-1].id, 4)
    as_superuser(
        ("TRUNCATE changes_signoff, audit_ledgercheckpoint CASCADE", []),
        ("DELETE FROM audit_auditevent WHERE action = 'ledger.checkpoint'", []),
    )
    call_command("verify_ledger")  # nothing left in the database to compare with

    with pytest.raises(CommandError) as error:
        call_command("verify_ledger", checkpoint=kept["text"])

    assert error.value.returncode == 1
    assert "table emptied" in str(error.value)


def test_it_detects_a_forged_checkpoint(ledger):
    as_superuser(
        (
            "INSERT INTO audit_ledgercheckpoint (entry_id, entries, entry_hash, signature, at) "
            "VALUES (%s, 3, %s, %s, now())",
            [ledger[2].id, ledger[2].hash, "0" * 64],
        )
    )

    result = ledger_verify()

    assert not result.ok
    assert "forged" in result.reason


def test_it_detects_an_entry_inserted_behind_the_applications_back(ledger):
    """A correctly chained approval INSERTed directly (the app role may INSERT): no checkpoint signs it."""
    forged = SignOff(
        change=ledger[0].change,
        signer=ledger[0].signer,
        decision="approve",
        created_at=ledger[-1].created_at,
        prev_hash=ledger[-1].hash,
    )
    values = {field: getattr(forged, field) for field in _content_fields()}
    forged.hash = signoff_hash(prev_hash=forged.prev_hash, content=signoff_content(values=values))
    SignOff.objects.bulk_create([forged])

    result = ledger_verify()

    assert not result.ok
    assert "not appended by the application" in result.reason


def _content_fields():
    from accountability.changes.ledger import CONTENT_FIELDS

    return CONTENT_FIELDS
