"""On the demo organisation of `manage.py seed_demo`, the analysis finds what the seed planted."""

import re

import pytest
from django.utils import timezone

from accountability.analysis.gaps import gaps_scan_all
from accountability.analysis.models import Gap
from accountability.analysis.suspects import suspects_refresh
from accountability.devtools.demo.seed import demo_seed
from accountability.incidents.models import Incident

pytestmark = pytest.mark.django_db

CAUSE = re.compile(r"Suspected cause: ([a-z0-9-]+)@([0-9a-f]+)")


@pytest.fixture
def demo(db):
    # Seeded inside each test's transaction (rolled back after it): committed module-wide data would
    # be visible to other modules' tests sharing this database under pytest-xdist.
    demo_seed(seed=2026, now=timezone.now().replace(minute=0, second=0, microsecond=0), log=lambda line: None)


def test_it_finds_every_gap_code_of_the_design(demo):
    gaps_scan_all()

    found = set(Gap.objects.filter(resolved_at__isnull=True).values_list("code", flat=True))
    assert found == set(Gap.Code.values)


def test_it_ranks_the_seeded_cause_first_for_incidents(demo):
    first_place = 0
    with_cause = 0
    for incident in Incident.objects.prefetch_related("timeline"):
        notes = [
            CAUSE.search(event.summary) for event in incident.timeline.all() if event.kind == "annotated"
        ]
        causes = [match.groups() for match in notes if match]
        if not causes:
            continue
        with_cause += 1
        rows = suspects_refresh(incident=incident)
        slug, sha = causes[0]
        if rows and rows[0].change.service.slug == slug and rows[0].change.sha.startswith(sha):
            first_place += 1

    assert with_cause >= 1
    assert first_place >= 1
    # Not just one lucky incident: the seeded cause wins almost everywhere.
    assert first_place >= 0.9 * with_cause
