import pytest
from django.test import override_settings

from accountability.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_it_reports_both_services_ok_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_it_answers_503_naming_the_broker_when_redis_is_down(client, monkeypatch):
    # A port nothing listens on: the broker check must fail fast and say which part is down.
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"].startswith("error")


@override_settings()
def test_it_answers_503_naming_the_database_when_postgres_is_down(client, monkeypatch):
    from django.db import connection

    def refuse(*args, **kwargs):
        from django.db import OperationalError

        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"].startswith("error")
    assert response.json()["broker"] == "ok"
