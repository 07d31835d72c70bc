"""The outbox shows each message as it lands (a Slack message, an e-mail), escaping what payloads wrote."""

import pytest
from django.utils import timezone

from accountability.notify.messages import plain_text
from accountability.notify.models import Notification
from accountability.notify.preview import mrkdwn_html

pytestmark = pytest.mark.django_db


def test_slack_formatting_becomes_html_and_payload_text_stays_text():
    html = mrkdwn_html(
        "*Payments API* is waiting: *<script>alert(1)</script>* "
        "(<https://github.com/acme/pay/pull/7|PR #7>)\n"
        "> roll back with `kubectl rollout undo`\n"
        "<javascript:alert(1)|click> _now_"
    )
    assert "<b>Payments API</b>" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert '<a href="https://github.com/acme/pay/pull/7">PR #7</a>' in html
    assert '<span class="quote">roll back with <code>kubectl rollout undo</code></span>' in html
    assert "javascript:" not in html.replace("&lt;javascript:alert(1)|click&gt;", "")
    assert "<i>now</i>" in html


def test_the_admin_outbox_shows_a_slack_message_as_it_lands(admin_client):
    notification = Notification.objects.create(
        key="incident:1:top:2:slack:c0payments",
        trigger="incident",
        channel="slack",
        recipient="C0PAYMENTS",
        subject="Incident: checkout errors",
        body="*SEV1*: checkout errors\nLikeliest causes:\n1. Payments API: Retry card captures",
        link="https://accountability.example/incidents/1/",
        next_attempt_at=timezone.now(),
    )

    page = admin_client.get(f"/admin/notify/notification/{notification.pk}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "#C0PAYMENTS" in html
    assert "<b>SEV1</b>: checkout errors" in html
    assert "Open in Accountability" in html


def test_an_email_reads_as_plain_text_with_its_links_spelled_out():
    body = (
        "*Payments API* is waiting to deploy: *Retry card captures* "
        "(<https://github.com/acme/pay/pull/7|PR #7>)\n"
        "run `manage.py migrate payments 0041` on snake_case_tables _first_"
    )

    assert plain_text(body) == (
        "Payments API is waiting to deploy: Retry card captures (PR #7 <https://github.com/acme/pay/pull/7>)\n"
        "run manage.py migrate payments 0041 on snake_case_tables first"
    )
