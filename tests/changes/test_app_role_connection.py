"""Connected as the application's own role (what `make run`, the tests' workers and compose use), the
ledger can be read and appended to and nothing else: no DELETE, UPDATE, TRUNCATE, no trigger switched off
(issue 14). The app itself works as that role."""

import os
import subprocess
import sys

import psycopg
import pytest
from django.conf import settings

from accountability.changes.ledger import signoff_append
from accountability.changes.models import SignOff
from tests.factories import ChangeFactory, PersonFactory

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED = [
    "DELETE FROM changes_signoff",
    "UPDATE changes_signoff SET note = 'rewritten'",
    "TRUNCATE changes_signoff CASCADE",
    "DELETE FROM audit_ledgercheckpoint",
    "UPDATE audit_ledgercheckpoint SET signature = 'forged'",
    "TRUNCATE audit_ledgercheckpoint",
    # How a superuser or the table's owner turns the append-only triggers off.
    "SET session_replication_role = replica",
    "ALTER TABLE changes_signoff DISABLE TRIGGER ALL",
    "DROP TRIGGER IF EXISTS signoff_append_only ON changes_signoff",
    "ALTER TABLE changes_signoff OWNER TO CURRENT_USER",
]


@pytest.fixture
def ledger_entry():
    return signoff_append(change=ChangeFactory(), signer=PersonFactory(), decision="reject", note="kept")


@pytest.mark.parametrize("statement", REFUSED)
def test_the_app_role_cannot_rewrite_the_ledger(app_database_url, ledger_entry, statement):
    with psycopg.connect(app_database_url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
        # Still the same connection and role: the entry is there, unchanged.
        assert conn.execute("SELECT note FROM changes_signoff").fetchall() == [("kept",)]


def test_the_app_role_is_neither_superuser_nor_owner(app_database_url, ledger_entry):
    with psycopg.connect(app_database_url, autocommit=True) as conn:
        role, superuser, bypass = conn.execute(
            "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        owners = {
            owner
            for (owner,) in conn.execute(
                "SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename IN "
                "('changes_signoff', 'audit_ledgercheckpoint')"
            )
        }
    assert (superuser, bypass) == (False, False)
    assert owners and role not in owners


APPEND_AND_VERIFY = """
from accountability.catalog.models import Person
from accountability.changes.ledger import ledger_verify, signoff_append
from accountability.changes.models import Change
signer = Person.objects.get(pk={signer})
signoff_append(change=Change.objects.get(), signer=signer, decision="reject", note="as the app")
print(ledger_verify())
"""


def test_the_app_appends_and_verifies_the_ledger_as_that_role(app_database_url, ledger_entry):
    env = {**os.environ, "DATABASE_URL": app_database_url}
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", APPEND_AND_VERIFY.format(signer=ledger_entry.signer_id)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert "ok=True, checked=2" in done.stdout
    assert list(SignOff.objects.order_by("id").values_list("note", flat=True)) == ["kept", "as the app"]
