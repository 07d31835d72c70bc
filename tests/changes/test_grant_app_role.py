"""The application's own database role may only SELECT and INSERT the ledger (DESIGN §15, issue 14)."""

import uuid

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from accountability.changes.ledger import signoff_append
from accountability.changes.models import SignOff
from tests.factories import ChangeFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def app_role():
    # CREATE ROLE is transactional: the test's rollback removes the role again.
    role = f"acc_app_{uuid.uuid4().hex[:8]}"
    call_command("grant_app_role", role=role)
    return role


def privileges(role, table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p, has_table_privilege(%s, %s, p) FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE',"
            "'TRUNCATE']) AS p",
            [role, table],
        )
        return {p for p, allowed in cursor.fetchall() if allowed}


def assert_refused(statement):
    with (
        pytest.raises(DatabaseError, match="permission denied"),
        transaction.atomic(),
        connection.cursor() as c,
    ):
        c.execute(statement)


@pytest.mark.parametrize("table", ["changes_signoff", "audit_ledgercheckpoint"])
def test_the_ledger_is_select_and_insert_only(app_role, table):
    assert privileges(app_role, table) == {"SELECT", "INSERT"}


def test_other_tables_are_read_and_written(app_role):
    assert privileges(app_role, "changes_change") == {"SELECT", "INSERT", "UPDATE", "DELETE"}


def test_as_that_role_a_delete_of_the_ledger_is_refused_and_an_append_works(app_role):
    change, signer = ChangeFactory(), PersonFactory()
    signoff_append(change=change, signer=signer, decision="reject")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f'SET LOCAL ROLE "{app_role}"')
    signoff_append(change=change, signer=signer, decision="reject", note="as the app")
    for statement in (
        "SET session_replication_role = replica",  # how a superuser turns the triggers off
        "TRUNCATE changes_signoff CASCADE",
        "DELETE FROM changes_signoff",
        "UPDATE changes_signoff SET note = 'rewritten'",
    ):
        assert_refused(statement)
    assert SignOff.objects.count() == 2


def test_it_sets_the_password_from_the_named_environment_variable(monkeypatch):
    role = f"acc_app_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("APP_DB_PASSWORD", "s3cret-for-the-app-role")

    call_command("grant_app_role", role=role, password_env="APP_DB_PASSWORD")

    with connection.cursor() as cursor:
        cursor.execute("SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = %s", [role])
        assert cursor.fetchone() == (True,)
