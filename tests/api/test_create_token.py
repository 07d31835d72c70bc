from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accountability.api.models import ApiToken
from accountability.api.tokens import token_authenticate
from tests.factories import ServiceFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_it_prints_the_token_once_and_stores_its_hash():
    out = StringIO()

    call_command(
        "create_token",
        "--name",
        "payments-ci",
        "--scopes",
        "changes:write,evidence:write",
        stdout=out,
        stderr=StringIO(),
    )

    raw = out.getvalue().strip()
    token = ApiToken.objects.get(name="payments-ci")
    assert token.scopes == ["changes:write", "evidence:write"]
    assert token_authenticate(raw=raw) == token
    assert raw not in token.token_hash


def test_it_refuses_an_unknown_scope():
    with pytest.raises(CommandError, match="unknown scope"):
        call_command("create_token", "--name", "x", "--scopes", "admin", stdout=StringIO(), stderr=StringIO())
    assert not ApiToken.objects.exists()


def test_it_refuses_a_duplicate_name():
    call_command("create_token", "--name", "x", "--scopes", "read", stdout=StringIO(), stderr=StringIO())

    with pytest.raises(CommandError, match="exists"):
        call_command("create_token", "--name", "x", "--scopes", "read", stdout=StringIO(), stderr=StringIO())


def test_it_limits_the_token_to_teams_and_services():
    team, service = TeamFactory(slug="payments-team"), ServiceFactory(slug="checkout")
    call_command(
        "create_token",
        *(
            "--name",
            "payments-ci",
            "--scopes",
            "changes:write",
            "--teams",
            "payments-team",
            "--services",
            "checkout",
        ),
        stdout=StringIO(),
        stderr=StringIO(),
    )

    token = ApiToken.objects.get(name="payments-ci")
    assert list(token.limit_teams.all()) == [team]
    assert list(token.limit_services.all()) == [service]


def test_it_refuses_an_unknown_team_and_creates_nothing():
    with pytest.raises(CommandError, match="no team nope"):
        call_command(
            "create_token",
            *("--name", "x", "--scopes", "read", "--teams", "nope"),
            stdout=StringIO(),
            stderr=StringIO(),
        )
    assert not ApiToken.objects.exists()
