import pytest
from django.db import connection

from tests.factories import TEST_PASSWORD, UserFactory


def pytest_report_header(config):
    # Shows in every run which real services the suite talks to.
    from django.conf import settings

    db = settings.DATABASES["default"]
    return [
        f"database: PostgreSQL {db.get('HOST') or 'local socket'}:{db.get('PORT') or ''}/{db.get('NAME')}",
        f"broker: Redis {settings.REDIS_URL}",
    ]


@pytest.fixture(autouse=True, scope="session")
def _postgres_only(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        assert connection.vendor == "postgresql"


@pytest.fixture
def user(db):
    return UserFactory(username="viewer")


@pytest.fixture
def logged_in_client(client, user):
    client.login(username=user.username, password=TEST_PASSWORD)
    return client
