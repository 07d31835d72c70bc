"""Production settings (DEBUG off) pass `check --deploy` and refuse to start without their secrets."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connection

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "q8v1-production-like-secret-with-enough-length-and-variety-Zx93Kp0wLm",
    "DJANGO_ALLOWED_HOSTS": "accountability.example.com",
    "LEDGER_CHECKPOINT_KEY": "k3y-for-signing-ledger-checkpoints-in-this-test-only-7Hq2",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_no_warnings(db):
    # The checks of a generated column ask the database for its version, so they run against one that
    # exists, as they do in production: this test's database.
    database = urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + connection.settings_dict["NAME"])
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", DATABASE_URL=urlunsplit(database), **PRODUCTION
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_refuses_to_start_without_a_secret_key():
    result = manage("check", **{**PRODUCTION, "DJANGO_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_it_refuses_to_start_without_a_ledger_checkpoint_key():
    result = manage("check", **{**PRODUCTION, "LEDGER_CHECKPOINT_KEY": ""})
    assert result.returncode != 0
    assert "LEDGER_CHECKPOINT_KEY is required" in result.stderr


def test_it_refuses_to_start_without_allowed_hosts():
    result = manage("check", **{**PRODUCTION, "DJANGO_ALLOWED_HOSTS": ""})
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS is required" in result.stderr


def test_it_fails_loudly_on_a_malformed_boolean():
    result = manage("check", DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be a boolean" in result.stderr


def test_it_starts_without_the_dev_tools_as_the_production_image_does(tmp_path):
    # The image's .dockerignore leaves accountability/devtools out: `check --deploy` in a tree without it.
    base = Path(settings.BASE_DIR)
    assert "accountability/devtools" in (base / ".dockerignore").read_text().split()
    (tmp_path / "manage.py").symlink_to(base / "manage.py")
    (tmp_path / "accountability").mkdir()
    for entry in (base / "accountability").iterdir():
        if entry.name != "devtools":
            (tmp_path / "accountability" / entry.name).symlink_to(entry)
    database = urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + connection.settings_dict["NAME"])
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    environment.update(PRODUCTION, DATABASE_URL=urlunsplit(database))
    script = (
        "import django, sys; from django.conf import settings; django.setup();"
        "import accountability; assert 'accountability.devtools' not in settings.INSTALLED_APPS;"
        "from django.core.management import call_command;"
        "call_command('check', '--deploy', '--fail-level', 'WARNING')"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={**environment, "DJANGO_SETTINGS_MODULE": "accountability.settings", "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
