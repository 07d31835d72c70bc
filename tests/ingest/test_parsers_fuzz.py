"""Webhook payload parsers (GitHub, PagerDuty, CDEvents, and the pulled Backstage and CODEOWNERS bodies)
raise only PayloadError, whatever the body: random bytes, random JSON, real samples with a part replaced."""

import json

from hypothesis import given
from hypothesis import strategies as st

from accountability.ingest.errors import PayloadError
from accountability.ingest.sources import backstage, cdevents, codeowners, github, pagerduty
from tests.strategies import FUZZ, json_fixtures, json_values, mutated

GITHUB_EVENTS = [
    "pull_request",
    "push",
    "pull_request_review",
    "check_suite",
    "workflow_run",
    "deployment",
    "deployment_status",
    "deployment_protection_rule",
    "ping",
]
GITHUB = json_fixtures("github/*/*.json")
PAGERDUTY = json_fixtures(
    "pagerduty/developer-docs/webhooks-v3/wh-0[2-9]*.json", "pagerduty/developer-docs/webhooks-v3/wh-1*.json"
)
CDEVENTS = json_fixtures("cdevents/*.json")


def bodies(samples: list) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=200),
        json_values.map(lambda value: json.dumps(value).encode()),
        mutated(samples).map(lambda value: json.dumps(value).encode()),
    )


def parse_and_identify(adapter, body: bytes, headers: dict) -> None:
    try:
        payload = adapter.parse(body=body, headers=headers)
        if hasattr(adapter, "identify"):
            external_id, event_type = adapter.identify(payload=payload, headers=headers, body=body)
            assert isinstance(external_id, str)
            assert isinstance(event_type, str)
    except PayloadError:
        pass


@FUZZ
@given(
    body=bodies(GITHUB),
    event=st.sampled_from(GITHUB_EVENTS) | st.text(max_size=20),
    delivery=st.text(max_size=60),
)
def test_it_parses_any_github_body_or_raises_payload_error(body, event, delivery):
    parse_and_identify(github, body, {"x-github-event": event, "x-github-delivery": delivery})


@FUZZ
@given(body=bodies(PAGERDUTY))
def test_it_parses_any_pagerduty_body_or_raises_payload_error(body):
    parse_and_identify(pagerduty, body, {})


@FUZZ
@given(
    body=bodies(CDEVENTS)
    | mutated(CDEVENTS).map(lambda event: json.dumps({"specversion": "1.0", "data": event}).encode()),
    content_type=st.sampled_from(["application/json", "application/cloudevents+json"]),
)
def test_it_parses_any_cdevents_body_or_raises_payload_error(body, content_type):
    parse_and_identify(cdevents, body, {"content-type": content_type})


@FUZZ
@given(body=st.binary(max_size=300) | st.text(max_size=300).map(str.encode), repository=st.text(max_size=30))
def test_it_parses_any_pulled_file_or_raises_payload_error(body, repository):
    parse_and_identify(backstage, body, {})
    parse_and_identify(codeowners, body, {codeowners.REPOSITORY_HEADER: repository})
