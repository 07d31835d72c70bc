"""docker-compose.yml cannot be started here (no Docker engine), so check what can be: that it parses and
that it matches the settings module and the code it names."""

import importlib
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from accountability.devtools.compose import app_environment_default, compose
from accountability.ingest.middleware import PREFIX as WEBHOOKS

COMPOSE = compose()
SETTINGS_SOURCE = (Path(settings.BASE_DIR) / "accountability" / "settings.py").read_text()
APP_SERVICES = ["migrate", "web", "receiver", "worker", "beat"]


def settings_variables() -> set[str]:
    return set(
        re.findall(r"""(?:environ\.get|env_bool|env_int|env_list)\(\s*["']([A-Z_]+)["']""", SETTINGS_SOURCE)
    )


def test_it_has_the_production_services():
    assert {"postgres", "redis", "proxy", "web", "receiver", "worker", "beat"} <= set(COMPOSE["services"])


@pytest.mark.parametrize("service", APP_SERVICES)
def test_every_variable_it_sets_is_read_by_the_settings(service):
    variables = set(COMPOSE["services"][service]["environment"])
    # migrate's grant_app_role reads the app role's password itself (it is no setting of the app);
    # prometheus_client reads PROMETHEUS_MULTIPROC_DIR itself (accountability/telemetry.py).
    assert variables - settings_variables() - {"APP_DB_PASSWORD", "PROMETHEUS_MULTIPROC_DIR"} == set()


def test_it_sets_what_production_settings_require():
    env = COMPOSE["services"]["web"]["environment"]
    assert env["DJANGO_DEBUG"] == "0"
    assert {"DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"} <= set(env)
    # Secrets are required from the environment, never written in the file.
    assert env["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?")


def database_url(service: str):
    url = COMPOSE["services"][service]["environment"]["DATABASE_URL"]
    for secret in ("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}", "${APP_DB_PASSWORD:?set APP_DB_PASSWORD}"):
        url = url.replace(secret, "pw")
    return urlsplit(url)


def test_its_urls_point_at_its_own_postgres_and_redis():
    env = COMPOSE["services"]["web"]["environment"]
    postgres = COMPOSE["services"]["postgres"]["environment"]
    for service in APP_SERVICES:
        database = database_url(service)
        assert database.scheme == "postgres"
        assert database.hostname == "postgres"
        assert database.path.lstrip("/") == postgres["POSTGRES_DB"]
    assert urlsplit(env["REDIS_URL"]).hostname == "redis"


def test_migrations_run_as_the_owner_and_the_app_as_its_restricted_role():
    """Issue 14: the app's role may only SELECT and INSERT the ledger (manage.py grant_app_role)."""
    owner = COMPOSE["services"]["postgres"]["environment"]["POSTGRES_USER"]
    assert database_url("migrate").username == owner
    migrate = " ".join(COMPOSE["services"]["migrate"]["command"])
    assert "manage.py migrate" in migrate
    role = re.search(r"grant_app_role --role (\w+)", migrate).group(1)
    for service in ("web", "receiver", "worker", "beat"):
        assert database_url(service).username == role != owner


@pytest.mark.parametrize("service", ["web", "receiver"])
def test_web_and_receiver_run_gunicorn_on_our_application(service):
    command = COMPOSE["services"][service]["command"]
    assert command[0] == "gunicorn"
    module, attribute = command[1].split(":")
    assert callable(getattr(importlib.import_module(module), attribute))


@pytest.mark.parametrize(("service", "role"), [("worker", "worker"), ("beat", "beat")])
def test_worker_and_beat_run_our_celery_app(service, role):
    command = COMPOSE["services"][service]["command"]
    assert command[:4] == ["celery", "-A", "accountability", role]
    assert importlib.import_module("accountability").celery_app.main == "accountability"


@pytest.mark.parametrize("service", ["web", "receiver"])
def test_the_healthcheck_asks_our_health_endpoint(service):
    from django.urls import resolve

    healthcheck = " ".join(COMPOSE["services"][service]["healthcheck"]["test"])
    path = re.search(r"http://127\.0\.0\.1:8000(/\S*?)'", healthcheck).group(1)
    assert resolve(path).url_name == "healthz"


def test_nginx_buffers_requests_in_front_of_gunicorn_with_timeouts():
    """Issue 14: slow clients must hold nginx connections, never gunicorn's sync workers."""
    services = COMPOSE["services"]
    assert "ports" not in services["web"], "gunicorn is reached only through the proxy"
    assert "ports" not in services["receiver"], "gunicorn is reached only through the proxy"
    assert services["proxy"]["image"].startswith("nginx:")
    assert services["proxy"]["ports"] == ["8000:8080"]
    conf = COMPOSE["configs"]["nginx"]["content"]
    for directive in (
        "client_header_timeout 10s;",
        "client_body_timeout 10s;",
        "proxy_request_buffering on;",
        "proxy_buffering on;",
        "server web:8000;",
        "server receiver:8000;",
        "proxy_set_header X-Forwarded-For $$remote_addr;",
    ):
        assert directive in conf
    # The proxy's fixed address is the one the app trusts to name the client.
    address = services["proxy"]["networks"]["default"]["ipv4_address"]
    assert services["web"]["environment"]["TRUSTED_PROXIES"] == address


def test_nginx_sends_webhooks_to_the_receiver_and_the_rest_to_web():
    """Issue 19: deliveries have workers of their own (a burst never queues a page behind it)."""
    conf = COMPOSE["configs"]["nginx"]["content"]
    locations = dict(re.findall(r"location (\S+) \{([^}]*)\}", conf))
    assert set(locations) == {"/", WEBHOOKS}
    assert "proxy_pass http://app;" in locations["/"]
    assert "proxy_pass http://receiver;" in locations[WEBHOOKS]
    for block in locations.values():
        assert "proxy_set_header X-Forwarded-For $$remote_addr;" in block
        assert "proxy_set_header Host $$host;" in block
    # Every receiver is under that prefix, so none is left to web's workers.
    from django.urls import reverse

    from accountability.ingest.sources import WEBHOOK_KINDS

    for kind in WEBHOOK_KINDS:
        assert reverse(f"ingest:receive-{kind}", kwargs={"name": "x"}).startswith(WEBHOOKS)


@pytest.mark.parametrize("service", ["web", "receiver"])
def test_gunicorn_runs_sync_workers_that_keep_their_database_connections(service):
    """Issue 19: under the asgi worker with a connection per request, a delivery cost ~4 times the CPU and
    pages missed §16 (docs/PERFORMANCE.md); slow clients are nginx's to hold (test_slow_clients.py)."""
    command = COMPOSE["services"][service]["command"]
    assert "--worker-class" not in command
    assert command[1] == "accountability.wsgi:application"
    assert "DATABASE_CONN_MAX_AGE" not in COMPOSE["services"][service]["environment"]


def test_production_needs_the_ledger_checkpoint_key():
    env = COMPOSE["services"]["web"]["environment"]
    assert env["LEDGER_CHECKPOINT_KEY"].startswith("${LEDGER_CHECKPOINT_KEY:?")


def test_web_and_worker_share_the_directory_of_their_prometheus_series():
    mounts = {}
    for service in ("web", "receiver", "worker"):
        directory = COMPOSE["services"][service]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
        [volume] = [
            mount.split(":")[0]
            for mount in COMPOSE["services"][service]["volumes"]
            if mount.endswith(f":{directory}")
        ]
        mounts[service] = (volume, directory)
    assert mounts["web"] == mounts["receiver"] == mounts["worker"]
    assert mounts["web"][0] in COMPOSE["volumes"]


def test_the_bench_serves_with_the_log_level_compose_gives_when_the_operator_sets_none():
    """`make bench` starts its servers with these (bench_load.served_as): a JSON line per delivery stored."""
    assert app_environment_default("LOG_LEVEL") == "INFO"
    assert app_environment_default("DJANGO_DEBUG") == "0"  # a literal is its own default
