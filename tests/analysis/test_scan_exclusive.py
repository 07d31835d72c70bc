"""A periodic scan still running elsewhere makes the next tick skip, instead of doing it twice."""

import zlib

import psycopg
import pytest
from django.db import connection

from accountability.analysis.models import Gap
from accountability.analysis.tasks import gaps_scan_all_task
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_skips_a_scan_another_worker_holds_and_runs_it_once_released():
    ServiceFactory(owner_team=None)
    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"],
        user=settings["USER"],
        dbname=settings["NAME"],
        password=settings["PASSWORD"] or None,
        autocommit=True,
    )
    key = zlib.crc32(b"analysis.gaps_scan_all")
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [key])
        gaps_scan_all_task.run()
        assert not Gap.objects.exists()
    finally:
        other.execute("SELECT pg_advisory_unlock(%s)", [key])
        other.close()

    gaps_scan_all_task.run()

    assert Gap.objects.filter(code="SERVICE_NO_OWNER").count() == 1
