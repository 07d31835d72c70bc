"""Links out to GitHub, PagerDuty and e-mail, built from what the sources sent (web/links.py)."""

import pytest

from accountability.web import links
from tests.factories import (
    AIProvenanceFactory,
    ChangeFactory,
    IncidentFactory,
    PersonFactory,
    ServiceFactory,
    SourceFactory,
    TeamFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

SHA = "3f2a9c1d0b8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a"


@pytest.fixture
def viewer_client(client):
    client.force_login(user_with_role("viewer"))
    return client


def test_the_change_page_links_the_commit_and_the_pull_request(viewer_client):
    change = ChangeFactory(repository="acme/payments-api", sha=SHA, pr_number=412, pr_url="")

    body = viewer_client.get(f"/changes/{change.pk}/").content.decode()

    assert f'href="https://github.com/acme/payments-api/commit/{SHA}"' in body
    assert 'href="https://github.com/acme/payments-api/pull/412"' in body


def test_a_stored_pull_request_url_wins_and_github_enterprise_gets_its_own_host(viewer_client, settings):
    settings.GITHUB_API_URL = "https://git.example.com/api/v3"
    change = ChangeFactory(
        repository="acme/payments-api", sha=SHA, pr_number=7, pr_url="https://git.example.com/acme/p/pull/7"
    )

    body = viewer_client.get(f"/changes/{change.pk}/").content.decode()

    assert f'href="https://git.example.com/acme/payments-api/commit/{SHA}"' in body
    assert 'href="https://git.example.com/acme/p/pull/7"' in body


def test_no_link_is_built_from_a_repository_or_sha_that_is_not_one(viewer_client):
    change = ChangeFactory(repository="javascript:alert(1)//x", sha=SHA, pr_number=3, pr_url="")

    body = viewer_client.get(f"/changes/{change.pk}/").content.decode()

    assert "/commit/" not in body and "/pull/3" not in body
    assert SHA[:12] in body and "PR #3" in body


def test_the_incident_page_links_pagerduty_by_its_html_url_else_by_the_sources_web_url(viewer_client):
    stored = IncidentFactory(
        source="pagerduty", external_id="Q1AAA", url="https://acme.pagerduty.com/incidents/Q1AAA"
    )
    built = IncidentFactory(source="pagerduty", external_id="Q2BBB", url="")

    assert (
        'href="https://acme.pagerduty.com/incidents/Q1AAA"'
        in viewer_client.get(f"/incidents/{stored.pk}/").content.decode()
    )
    assert "open in PagerDuty" not in viewer_client.get(f"/incidents/{built.pk}/").content.decode()

    SourceFactory(kind="pagerduty", name="pd", config={"web_url": "https://acme.pagerduty.com/"})
    body = viewer_client.get(f"/incidents/{built.pk}/").content.decode()
    assert '<a href="https://acme.pagerduty.com/incidents/Q2BBB" rel="noopener">open in PagerDuty</a>' in body


def test_a_web_url_that_is_not_http_builds_no_link():
    url = links.pagerduty_incident_url(
        source="pagerduty", external_id="Q2BBB", stored="", web_url="javascript:alert(1)"
    )
    assert url == ""


def test_emails_are_mailto_links_and_the_slack_channel_is_named(viewer_client):
    team = TeamFactory(slug="payments", chat_channel="#payments-oncall", escalation_contact="Call Dana")
    owner = PersonFactory(email="olga@example.com")
    service = ServiceFactory(slug="payments-api", owner_team=team, owner_of_record=owner)

    body = viewer_client.get(f"/services/{service.slug}/").content.decode()

    assert '<a href="mailto:olga@example.com">olga@example.com</a>' in body
    assert "Slack #payments-oncall" in body
    assert "Call Dana" in body and "mailto:Call" not in body


def test_ai_written_line_ranges_link_to_the_file_at_the_changes_commit(viewer_client):
    change = ChangeFactory(repository="acme/payments-api", sha=SHA)
    AIProvenanceFactory(
        change=change,
        level="generated",
        ai_lines={"src/api.py": [[101, 104], [150, 151]], "../../etc/passwd": [[1, 2]]},
    )

    body = viewer_client.get(f"/changes/{change.pk}/").content.decode()

    blob = f"https://github.com/acme/payments-api/blob/{SHA}/src/api.py"
    assert f'<a href="{blob}#L101-L104" rel="noopener">101\u2013104</a>' in body
    assert f'href="{blob}#L150-L151"' in body
    assert "/blob/" + SHA + "/../" not in body and "../../etc/passwd" in body
