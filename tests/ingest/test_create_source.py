"""`manage.py create_source`: the source, its receiver URL, and its secret encrypted at rest."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accountability.ingest.models import Source
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("create_source", *args, stdout=out)
    return out.getvalue()


def test_it_creates_a_webhook_source_and_prints_its_receiver_url():
    output = run(
        "--kind", "github", "--name", "gh-main", "--secret", "s3cret", "--base-url", "https://acc.example"
    )
    source = Source.objects.get(name="gh-main")
    assert (source.kind, source.secret) == ("github", "s3cret")
    assert "Receiver URL: https://acc.example/webhooks/github/gh-main/" in output
    assert "s3cret" not in output


def test_it_generates_and_shows_once_a_secret_when_none_is_given():
    output = run("--kind", "pagerduty", "--name", "pd", "--base-url", "https://acc.example")
    source = Source.objects.get(name="pd")
    assert len(source.secret) >= 40
    assert f"Generated secret (shown once, stored encrypted): {source.secret}" in output
    assert "https://acc.example/webhooks/pagerduty/pd/" in output


def test_it_prints_no_receiver_for_a_pulled_source():
    output = run(
        "--kind", "backstage", "--name", "catalog", "--url", "https://backstage.example", "--token", "t"
    )
    source = Source.objects.get(name="catalog")
    assert (source.url, source.token, source.secret) == ("https://backstage.example", "t", "")
    assert "Receiver URL" not in output


def test_it_refuses_a_name_in_use():
    SourceFactory(name="gh-main")
    with pytest.raises(CommandError, match="a source named 'gh-main' exists already"):
        run("--kind", "github", "--name", "gh-main")


def test_it_refuses_a_name_that_cannot_be_a_url_part():
    with pytest.raises(CommandError, match="name:"):
        run("--kind", "github", "--name", "gh main/x")


def test_it_stores_secret_and_token_encrypted():
    run("--kind", "github", "--name", "gh-main", "--secret", "s3cret-value", "--token", "ghp_token-value")
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret, token FROM ingest_source WHERE name = 'gh-main'")
        secret, token = cursor.fetchone()
    assert "s3cret-value" not in secret and secret.startswith("gAAAAA")  # a Fernet token
    assert "ghp_token-value" not in token


def test_a_secret_stored_under_another_key_reads_as_empty_so_the_source_refuses_deliveries(settings):
    source = SourceFactory(secret="s3cret")
    settings.SECRET_KEY = "a-new-key-without-the-old-one-as-fallback-0123456789"
    source.refresh_from_db()
    assert source.secret == ""


def test_a_secret_stays_readable_after_rotating_the_key_with_a_fallback(settings):
    source = SourceFactory(secret="s3cret")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-0123456789-0123456789-0123456789"
    source.refresh_from_db()
    assert source.secret == "s3cret"
