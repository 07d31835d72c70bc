import itertools
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import DatabaseError, connection, transaction

from accountability.changes.ledger import (
    GENESIS_HASH,
    LedgerVerification,
    SignOffRefused,
    ledger_verify,
    signoff_append,
)
from accountability.changes.models import SignOff
from tests.factories import ChangeFactory, PersonFactory


@pytest.fixture
def change(db):
    return ChangeFactory()


@pytest.fixture
def owner(db):
    return PersonFactory(name="Olivia Owner")


def _approve(change, signer, **extra):
    return signoff_append(change=change, signer=signer, decision="approve", **extra)


def _tamper(sql, params):
    """What someone with table-owner rights could do: switch the guard off, edit, switch it back on."""
    with connection.cursor() as cursor:
        # ALTER TABLE refuses while deferred foreign-key checks of this transaction are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE changes_signoff DISABLE TRIGGER signoff_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE changes_signoff ENABLE TRIGGER signoff_append_only")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_it_chains_each_entry_to_the_previous_one(change, owner):
    first = _approve(change, owner, read_ai_parts=True, rollback_ready=True, note="looked at it")
    second = signoff_append(change=change, signer=owner, decision="revoke", revokes=first, note="wrong sha")
    third = signoff_append(change=ChangeFactory(), signer=owner, decision="reject")

    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3
    assert ledger_verify().ok
    assert ledger_verify().checked == 3


def test_it_verifies_an_empty_ledger(db):
    assert ledger_verify() == LedgerVerification(ok=True, checked=0)


def test_it_hashes_the_same_instant_the_same_way_in_any_time_zone(change, owner):
    instant = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    _approve(change, owner, at=instant.astimezone(timezone(timedelta(hours=-5))))

    stored = SignOff.objects.get()
    assert stored.created_at == instant
    assert ledger_verify().ok


def test_it_reports_exactly_the_tampered_entry(change, owner):
    entries = [_approve(ChangeFactory(), owner, note=f"entry {n}") for n in range(5)]
    tampered = entries[2]

    _tamper("UPDATE changes_signoff SET note = 'nothing to see' WHERE id = %s", [tampered.pk])

    result = ledger_verify()
    assert result.ok is False
    assert result.first_broken_id == tampered.pk
    assert result.checked == 3
    assert "altered" in result.reason


def test_it_reports_a_removed_entry_at_its_successor(change, owner):
    entries = [_approve(ChangeFactory(), owner) for _ in range(4)]

    _tamper("DELETE FROM changes_signoff WHERE id = %s", [entries[1].pk])

    result = ledger_verify()
    assert result.ok is False
    assert result.first_broken_id == entries[2].pk
    assert "prev_hash" in result.reason


def test_it_refuses_updates_and_deletes_through_the_orm(change, owner):
    signoff = _approve(change, owner, note="original")

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        SignOff.objects.filter(pk=signoff.pk).update(note="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        signoff.note = "rewritten"
        signoff.save()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        SignOff.objects.filter(pk=signoff.pk).delete()

    signoff.refresh_from_db()
    assert signoff.note == "original"
    assert ledger_verify().ok


def test_it_refuses_updates_and_deletes_through_raw_sql(change, owner):
    signoff = _approve(change, owner, note="original")

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE changes_signoff SET decision = 'reject' WHERE id = %s", [signoff.pk])
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM changes_signoff WHERE id = %s", [signoff.pk])

    signoff.refresh_from_db()
    assert signoff.decision == "approve"
    assert SignOff.objects.count() == 1


def test_it_refuses_a_revoke_without_a_target(change, owner):
    with pytest.raises(SignOffRefused, match="must name the approval"):
        signoff_append(change=change, signer=owner, decision="revoke")
    assert SignOff.objects.count() == 0


def test_it_refuses_a_revoke_of_another_change(change, owner):
    other = _approve(ChangeFactory(), owner)

    with pytest.raises(SignOffRefused, match="same change"):
        signoff_append(change=change, signer=owner, decision="revoke", revokes=other)
    assert SignOff.objects.count() == 1


def test_it_refuses_to_revoke_a_rejection_or_twice(change, owner):
    rejection = signoff_append(change=change, signer=owner, decision="reject")
    approval = _approve(change, owner)
    signoff_append(change=change, signer=owner, decision="revoke", revokes=approval)

    with pytest.raises(SignOffRefused, match="Only an approval"):
        signoff_append(change=change, signer=owner, decision="revoke", revokes=rejection)
    with pytest.raises(SignOffRefused, match="already been revoked"):
        signoff_append(change=change, signer=owner, decision="revoke", revokes=approval)
    assert SignOff.objects.count() == 3


def test_it_refuses_an_override_of_a_deny_without_a_reason(change, owner):
    with pytest.raises(SignOffRefused, match="override reason"):
        _approve(change, owner, policy_decision="deny", override_reason="   ")

    signoff = _approve(
        change, owner, policy_decision="deny", override_reason="Hotfix for SEV1; canary by hand"
    )
    assert signoff.override_reason == "Hotfix for SEV1; canary by hand"


def test_it_refuses_unknown_decisions_and_self_delegation(change, owner):
    with pytest.raises(SignOffRefused, match="Unknown decision"):
        signoff_append(change=change, signer=owner, decision="maybe")
    with pytest.raises(SignOffRefused, match="Unknown policy decision"):
        _approve(change, owner, policy_decision="perhaps")
    with pytest.raises(SignOffRefused, match="delegate"):
        _approve(change, owner, delegate=owner)
    assert SignOff.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_linear_chain_under_concurrent_appends():
    changes = [ChangeFactory() for _ in range(4)]
    # One approval in force per signer and change: ten signers each approve each change once.
    signers = [PersonFactory() for _ in range(10)]
    errors = []

    def append_many(change):
        try:
            for n, signer in enumerate(signers):
                signoff_append(change=change, signer=signer, decision="approve", note=f"{n}")
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=append_many, args=(change,)) for change in changes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert SignOff.objects.count() == 40
    hashes = list(SignOff.objects.order_by("id").values_list("prev_hash", "hash"))
    assert hashes[0][0] == GENESIS_HASH
    assert all(prev == earlier[1] for earlier, (prev, _) in itertools.pairwise(hashes))
    assert ledger_verify() == LedgerVerification(ok=True, checked=40)
