"""Give the role the application connects as exactly the rights it needs: never UPDATE, DELETE or TRUNCATE
the sign-off ledger or its checkpoints (DESIGN §15).

Run as the owner of the tables (the role migrations run as), after every `migrate`: new tables get their
grants here. The application then connects as `--role`; migrations keep connecting as the owner.
"""

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction
from psycopg import sql

# Append-only: the application may read and append, nothing else.
APPEND_ONLY = ("changes_signoff", "audit_ledgercheckpoint")


class Command(BaseCommand):
    help = "Create or update the application's database role: SELECT and INSERT only on the ledger."

    def add_arguments(self, parser):
        parser.add_argument("--role", required=True, help="The role the application connects as")
        parser.add_argument(
            "--password-env",
            default="",
            help="Name of an environment variable holding the password (not the password itself, which "
            "a process list would show); omit to keep the password, or for trust/peer authentication",
        )

    def handle(self, *args, role: str, password_env: str = "", **options):
        if not role.isidentifier():
            raise CommandError("--role must be a plain identifier")
        password = os.environ.get(password_env, "") if password_env else ""
        if password_env and not password:
            raise CommandError(f"{password_env} is empty")
        name = sql.Identifier(role)
        with transaction.atomic(), connection.cursor() as cursor:
            _role_create(cursor, role)
            if password:
                cursor.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(name, sql.Literal(password)))
            database = sql.Identifier(connection.settings_dict["NAME"])
            for statement in (
                "GRANT CONNECT ON DATABASE {db} TO {role}",
                "GRANT USAGE ON SCHEMA public TO {role}",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
                "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}",
                "REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {role}",
            ):
                cursor.execute(sql.SQL(statement).format(db=database, role=name))
            for table in APPEND_ONLY:
                cursor.execute(
                    sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(
                        sql.Identifier(table), name
                    )
                )
        self.stdout.write(
            f"Role {role}: read and write on every table, SELECT and INSERT only on {', '.join(APPEND_ONLY)}."
        )


def _role_create(cursor, role: str) -> None:
    """CREATE ROLE unless it exists. Roles belong to the whole server, so another database's
    `grant_app_role` (a parallel test run, say) may create the same one at the same moment: its
    duplicate is as good as ours."""
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    if cursor.fetchone() is not None:
        return
    try:
        with transaction.atomic():
            cursor.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    except DatabaseError:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            raise
