from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accountability.analysis.models import Gap, RiskAssessment
from accountability.changes.models import AIProvenance
from tests.factories import (
    AIProvenanceFactory,
    ChangeFactory,
    DeploymentFactory,
    EvidenceFactory,
    PersonFactory,
    RollbackPlanFactory,
    ServiceFactory,
    SignOffFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client):
    client.force_login(user_with_role("viewer", username="manager"))
    return client


def make_change(*, tier=2, level=AIProvenance.Level.NONE, risk=10, signed=False, title="", service=None):
    change = ChangeFactory(service=service or ServiceFactory(tier=tier), title=title or "A change")
    AIProvenanceFactory(change=change, level=level)
    RiskAssessment.objects.create(change=change, score=risk, factors=[], computed_at=timezone.now())
    DeploymentFactory(change=change)
    EvidenceFactory(change=change)
    RollbackPlanFactory(change=change)
    if signed:
        SignOffFactory(change=change, signer=change.service.owner_of_record)
    return change


def test_it_filters_to_ai_generated_unsigned_tier_1_changes(manager_client):
    target = make_change(tier=1, level="generated", title="Generated and unsigned")
    make_change(tier=1, level="generated", signed=True, title="Generated but signed")
    make_change(tier=2, level="generated", title="Generated on tier 2")
    make_change(tier=1, level="assisted", title="Only assisted")

    response = manager_client.get("/review/", {"ai_level": "generated", "signoff": "unsigned", "tier": "1"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "Generated and unsigned" in body
    assert f"/changes/{target.pk}/" in body
    for other in ("Generated but signed", "Generated on tier 2", "Only assisted"):
        assert other not in body
    assert "1 change" in body


def test_it_sorts_by_risk_descending_by_default(manager_client):
    make_change(risk=20, title="Middling risk")
    make_change(risk=80, title="Highest risk")
    make_change(risk=5, title="Lowest risk")

    body = manager_client.get("/review/").content.decode()

    assert body.index("Highest risk") < body.index("Middling risk") < body.index("Lowest risk")
    ascending = manager_client.get("/review/", {"sort": "-risk"}).content.decode()
    assert ascending.index("Lowest risk") < ascending.index("Highest risk")


def test_it_filters_by_open_gap_code_and_risk_range(manager_client):
    gapped = make_change(risk=50, title="Has an open gap")
    make_change(risk=50, title="No gap")
    make_change(risk=95, title="Too risky for the range")
    now = timezone.now()
    Gap.objects.create(
        code=Gap.Code.NO_ROLLBACK_PLAN,
        severity="high",
        change=gapped,
        sentence="x",
        first_seen=now,
        last_seen=now,
    )

    body = manager_client.get("/review/", {"gap": "NO_ROLLBACK_PLAN"}).content.decode()
    assert "Has an open gap" in body and "No gap" not in body

    ranged = manager_client.get("/review/", {"risk_min": "40", "risk_max": "60"}).content.decode()
    assert "Has an open gap" in ranged and "No gap" in ranged and "Too risky for the range" not in ranged


def test_it_leaves_out_changes_older_than_the_period(manager_client):
    old = make_change(title="Merged long ago")
    old.merged_at = timezone.now() - timedelta(days=60)
    old.save()
    make_change(title="Merged today")

    body = manager_client.get("/review/").content.decode()
    assert "Merged today" in body and "Merged long ago" not in body
    assert "Merged long ago" in manager_client.get("/review/", {"period": "90d"}).content.decode()


def test_it_renders_only_the_table_for_an_htmx_request(manager_client):
    make_change(title="In the partial")

    response = manager_client.get("/review/", {"sort": "merged"}, headers={"HX-Request": "true"})

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="review-table"')
    assert "<html" not in body and "In the partial" in body


def test_it_renders_the_whole_page_to_restore_history(manager_client):
    response = manager_client.get(
        "/review/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.content.decode()


def test_it_ignores_filter_values_it_cannot_read(manager_client):
    make_change(title="Still listed")

    response = manager_client.get(
        "/review/", {"risk_min": "lots", "tier": "9", "page": "x", "sort": "drop table"}
    )

    assert response.status_code == 200
    assert "Still listed" in response.content.decode()
    assert "Some filters were ignored" in response.content.decode()


def test_it_paginates_fifty_rows_a_page(manager_client):
    service = ServiceFactory()
    for n in range(55):
        ChangeFactory(service=service, title=f"Paged change {n:02d}")

    first = manager_client.get("/review/", {"sort": "service"}).content.decode()
    second = manager_client.get("/review/", {"sort": "service", "page": "2"}).content.decode()

    assert first.count("Paged change") == 50
    assert second.count("Paged change") == 5
    assert "page 2 of 2" in second


def count_queries(client, url, params, **headers):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params, headers=headers)
    assert response.status_code == 200
    return len(context)


# Session, user, the team choices, the capped count, one page of ids, then the rows with their
# deployments and production policy: the same for 3 rows or 30.
REVIEW_QUERIES = 8
# The whole page also renders the menu, whose "My sign-offs" count looks up the viewer's person (one query).
MENU_QUERIES = 1


def test_it_runs_the_same_number_of_queries_for_3_or_30_rows(manager_client):
    for n in range(3):
        make_change(tier=1, level="generated", title=f"few {n}")
    assert count_queries(manager_client, "/review/", {}) == REVIEW_QUERIES + MENU_QUERIES
    for n in range(27):
        make_change(tier=1, level="generated", signed=n % 2 == 0, title=f"many {n}")
    assert count_queries(manager_client, "/review/", {}) == REVIEW_QUERIES + MENU_QUERIES
    assert count_queries(manager_client, "/review/", {"tier": "1"}, HX_Request="true") == REVIEW_QUERIES


def test_it_keeps_pending_changes_in_view_whatever_the_period(manager_client):
    pending = make_change(title="Not merged yet")
    pending.merged_at = None
    pending.save()
    last_week = make_change(title="Merged last week")
    last_week.merged_at = timezone.now() - timedelta(days=7)
    last_week.save()

    body = manager_client.get("/review/", {"period": "24h"}).content.decode()

    assert "Not merged yet" in body and "Merged last week" not in body


def test_it_escapes_what_the_sources_wrote(manager_client):
    # Every free text a row shows comes from a webhook, a catalog or a person: none may become markup.
    service = ServiceFactory(name='<script>alert("service")</script>', owner_team__name="<b>team</b>")
    change = make_change(title='<script>alert("title")</script>', service=service)
    change.author_logins = ['<img src=x onerror=alert("author")>']
    change.save()
    SignOffFactory(change=change, signer=PersonFactory(name="<svg onload=alert(1)>"))

    body = manager_client.get("/review/").content.decode()

    assert "<script>alert" not in body and "<img src=x" not in body
    assert "<svg onload" not in body and "<b>team</b>" not in body
    for escaped in (
        "&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;",
        "&lt;script&gt;alert(&quot;service&quot;)&lt;/script&gt;",
        "&lt;b&gt;team&lt;/b&gt;",
        "&lt;img src=x onerror=alert(&quot;author&quot;)&gt;",
        "&lt;svg onload=alert(1)&gt;",
    ):
        assert escaped in body, escaped


def test_it_shows_what_a_reviewer_needs_in_each_row(manager_client):
    change = make_change(tier=1, level="generated", risk=72, signed=True, title="Retry payments")

    body = manager_client.get("/review/", headers={"HX-Request": "true"}).content.decode()

    start = body.rindex("<tr>", 0, body.index("Retry payments"))
    row = body[start : body.index("\n", start)]
    for shown in (
        '<b class="risk rh">72</b>',
        change.sha[:8],
        "T1",
        change.service.owner_team.name,
        "generated",
        "<i class=ev>CI tests</i>",
        "redeploy previous version",
        "never rehearsed",
        '<i class="badge ok">signed</i>',
        change.service.owner_of_record.name,
        "production",
    ):
        assert shown in row, shown


def test_it_shows_a_change_s_two_latest_deployments_however_many_it_has(manager_client):
    change = make_change(title="Redeployed often")  # deployed to production now by make_change
    now = timezone.now()
    for days, environment in ((9, "qa"), (5, "dev"), (3, "staging")):
        DeploymentFactory(change=change, environment=environment, finished_at=now - timedelta(days=days))
    DeploymentFactory(change=change, environment="canary", status="in_progress", finished_at=None)

    body = manager_client.get("/review/", headers={"HX-Request": "true"}).content.decode()

    start = body.rindex("<tr>", 0, body.index("Redeployed often"))
    cell = body[start : body.index("\n", start)].rsplit("<td>", 1)[1]
    # Still running first, then the latest finished one; the older three are left out.
    assert cell.startswith("canary") and "<br>production" in cell
    assert "staging" not in cell and "dev" not in cell and "qa" not in cell


def test_it_lists_changes_not_scored_yet_after_the_scored_ones_across_pages(manager_client):
    service = ServiceFactory()
    for n in range(52):
        change = ChangeFactory(service=service, title=f"Scored {n:02d}")
        RiskAssessment.objects.create(change=change, score=n, factors=[], computed_at=timezone.now())
    for n in range(3):
        ChangeFactory(service=service, title=f"Unscored {n}")

    first = manager_client.get("/review/").content.decode()
    second = manager_client.get("/review/", {"page": "2"}).content.decode()
    ascending = manager_client.get("/review/", {"sort": "-risk"}).content.decode()

    assert "55 changes" in first
    assert first.index("Scored 51") < first.index("Scored 02") and "Unscored" not in first
    assert second.index("Scored 01") < second.index("Scored 00") < second.index("Unscored")
    assert ascending.index("Unscored") < ascending.index("Scored 00") < ascending.index("Scored 01")


def test_it_stops_counting_at_the_cap_and_says_so(manager_client, monkeypatch):
    from accountability.analysis import change_selectors as selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 5)
    for n in range(8):
        make_change(title=f"Capped {n}")

    body = manager_client.get("/review/").content.decode()

    assert "5+ changes (narrow the filters to see them all)" in body
    assert body.count("Capped ") == 5
