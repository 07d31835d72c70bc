from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accountability.analysis.models import Gap, RiskAssessment
from accountability.changes.ledger import signoff_append
from tests.factories import (
    AIProvenanceFactory,
    ChangeFactory,
    DeploymentFactory,
    ServiceFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def read_client(client, make_token):
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {make_token('read', name='reader')}"
    return client


def risk(change, score):
    RiskAssessment.objects.create(change=change, score=score, factors=[], computed_at=timezone.now())


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_it_lists_changes_newest_merge_first_with_their_summary(read_client):
    service = ServiceFactory(slug="payments", name="Payments", tier=1)
    older = ChangeFactory(service=service, merged_at=timezone.now() - timedelta(days=2))
    newer = ChangeFactory(service=service, title="Retry captures", merged_at=timezone.now())
    AIProvenanceFactory(change=newer, level="majority", ai_share="0.7500")
    risk(newer, 61)
    DeploymentFactory(change=newer, environment="production")
    signoff_append(change=newer, signer=service.owner_of_record, decision="approve")

    response = read_client.get("/api/v1/changes")

    assert ids(response) == [newer.id, older.id]
    first = response.json()["items"][0]
    assert first == {
        "id": newer.id,
        "service": {"slug": "payments", "name": "Payments", "tier": 1},
        "team": service.owner_team.slug,
        "repository": newer.repository,
        "sha": newer.sha,
        "pr_number": newer.pr_number,
        "pr_url": "",
        "title": "Retry captures",
        "author_logins": ["alice"],
        "merged_at": first["merged_at"],
        "ai_level": "majority",
        "ai_share": 0.75,
        "risk_score": 61,
        "blast_radius_score": None,
        "production_decision": None,
        "approved": True,
        "last_signoff": "approve",
        "environments": ["production"],
        "url": f"http://testserver/changes/{newer.id}/",
    }
    assert datetime.fromisoformat(first["merged_at"]) == newer.merged_at.replace(
        microsecond=(newer.merged_at.microsecond // 1000) * 1000
    )
    assert response.json()["items"][1]["ai_level"] == "unknown"


def test_it_filters_like_the_risk_review(read_client):
    team = TeamFactory(slug="core")
    mine = ServiceFactory(slug="payments", owner_team=team, tier=1)
    other = ServiceFactory(slug="search", tier=3)
    risky = ChangeFactory(service=mine)
    risk(risky, 80)
    AIProvenanceFactory(change=risky, level="generated")
    DeploymentFactory(change=risky, environment="staging")
    calm = ChangeFactory(service=mine)
    risk(calm, 10)
    elsewhere = ChangeFactory(service=other, merged_at=timezone.now() - timedelta(days=40))
    Gap.objects.create(
        code="NO_ROLLBACK_PLAN",
        severity="high",
        change=elsewhere,
        sentence="No rollback plan.",
        first_seen=timezone.now(),
        last_seen=timezone.now(),
    )

    assert set(ids(read_client.get("/api/v1/changes?team=core"))) == {risky.id, calm.id}
    assert ids(read_client.get("/api/v1/changes?service=search")) == [elsewhere.id]
    assert ids(read_client.get("/api/v1/changes?environment=staging")) == [risky.id]
    assert ids(read_client.get("/api/v1/changes?ai_level=generated")) == [risky.id]
    assert set(ids(read_client.get("/api/v1/changes?ai_level=unknown"))) == {calm.id, elsewhere.id}
    assert ids(read_client.get("/api/v1/changes?risk_min=50&risk_max=90")) == [risky.id]
    assert ids(read_client.get("/api/v1/changes?gap=NO_ROLLBACK_PLAN")) == [elsewhere.id]
    assert elsewhere.id not in ids(read_client.get("/api/v1/changes?period=30d"))
    assert set(ids(read_client.get("/api/v1/changes?tier=1&signoff=unsigned"))) == {risky.id, calm.id}


def test_it_pages_with_an_opaque_cursor_without_repeating_or_skipping(read_client):
    service = ServiceFactory()
    now = timezone.now()
    same_moment = [ChangeFactory(service=service, merged_at=now) for _ in range(3)]
    unmerged = [ChangeFactory(service=service, merged_at=None) for _ in range(2)]
    dated = [ChangeFactory(service=service, merged_at=now - timedelta(hours=n)) for n in range(1, 4)]
    expected = [c.id for c in sorted(same_moment, key=lambda c: -c.id)]
    expected += [c.id for c in dated] + [c.id for c in sorted(unmerged, key=lambda c: -c.id)]

    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/changes?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = read_client.get(url).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert seen == expected
    assert pages == 3


def test_it_refuses_a_tampered_cursor_and_an_inverted_risk_range(read_client):
    response = read_client.get("/api/v1/changes?cursor=not-a-cursor")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "query.cursor", "message": "pass back next_cursor of a previous page, unchanged"}
    ]

    response = read_client.get("/api/v1/changes?risk_min=90&risk_max=10")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "query.risk_min", "message": "must not be above risk_max"}]


def test_it_names_the_query_field_of_an_invalid_filter(read_client):
    response = read_client.get("/api/v1/changes?risk_min=101&ai_level=lots")

    assert response.status_code == 422
    assert {error["field"] for error in response.json()["errors"]} == {"query.risk_min", "query.ai_level"}


def test_it_lists_in_a_fixed_number_of_queries(read_client):
    service = ServiceFactory()
    read_client.get("/api/v1/changes")  # the token's last use is recorded once a minute, not per request

    def count(n):
        for _ in range(n):
            change = ChangeFactory(service=service)
            AIProvenanceFactory(change=change)
            DeploymentFactory(change=change)
            risk(change, 5)
        with CaptureQueriesContext(connection) as queries:
            assert read_client.get("/api/v1/changes?limit=200").status_code == 200
        return len(queries)

    assert count(1) == count(20)


def test_it_refuses_a_misspelt_filter_instead_of_ignoring_it(read_client):
    response = read_client.get("/api/v1/changes?servce=payments")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.servce"
