import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accountability.changes.ledger import signoff_append
from tests.factories import ChangeFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger():
    change = ChangeFactory()
    return [
        signoff_append(change=change, signer=PersonFactory(), decision="approve", note=f"entry {n}")
        for n in range(3)
    ]


def test_it_reports_an_intact_ledger(ledger, capsys):
    call_command("verify_ledger")
    assert "Ledger intact: 3 entries" in capsys.readouterr().out


def test_it_exits_1_naming_the_first_tampered_entry(ledger):
    tampered = ledger[1]
    with connection.cursor() as cursor:
        # Deferred foreign-key checks of the inserts above must fire before the table can be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE changes_signoff DISABLE TRIGGER signoff_append_only")
        cursor.execute("UPDATE changes_signoff SET note = 'rewritten later' WHERE id = %s", [tampered.pk])
        cursor.execute("ALTER TABLE changes_signoff ENABLE TRIGGER signoff_append_only")
    with pytest.raises(CommandError) as error:
        call_command("verify_ledger")
    assert error.value.returncode == 1
    assert f"Ledger broken at sign-off {tampered.pk}:" in str(error.value)
    assert "altered" in str(error.value)
