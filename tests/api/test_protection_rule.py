"""GitHub custom deployment protection rule, end to end: a signed webhook in, the answer out to a fake GitHub.

The payload is the real sample (tests/fixtures/github/deployment_protection_rule/, from octokit/webhooks.net;
see tests/fixtures/github/ORIGIN.md) with two values a real delivery to a GitHub App carries and the sample
lacks or fakes: `installation.id`, and a `deployment_callback_url` on GitHub's API host (the fake one here).
"""

import copy
import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from django.test import Client
from django.utils import timezone
from werkzeug import Response

from accountability.api.models import GateDecision, ProtectionRuleRequest
from accountability.celery import app as celery_app
from accountability.changes.ledger import signoff_append
from accountability.gate.github_app import GitHubTransientError
from accountability.gate.protection import (
    protection_rule_answer,
    protection_rule_receive,
    protection_rules_reevaluate,
)
from accountability.gate.tasks import protection_rules_reevaluate_task
from accountability.ingest.models import Delivery, Source
from accountability.ingest.sources.github.webhook import GitHubEvent
from tests.api.builders import change_awaiting_signoff
from tests.api.github_peer import APP_ID, CALLBACK_PATH, INSTALLATION, STATUSES_PREFIX, TOKEN_PATH
from tests.conftest import wait_until
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures/github/deployment_protection_rule"
SECRET = "It's a Secret to Everybody"


@pytest.fixture
def eager_tasks():
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_eager_propagates = False


@pytest.fixture
def source():
    return SourceFactory(kind=Source.Kind.GITHUB, name="github-app", secret=SECRET)


def payload(github, *, sha: str, environment: str = "production") -> bytes:
    data = json.loads((SAMPLE / "requested.octokit-webhooks-net.json").read_text())
    data = copy.deepcopy(data)
    data["installation"] = {"id": INSTALLATION, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI0Mg=="}
    data["deployment_callback_url"] = github.url_for(CALLBACK_PATH)
    data["environment"] = environment
    data["deployment"]["sha"] = sha
    data["repository"]["full_name"] = "acme/payments"
    return json.dumps(data).encode()


def deliver(client, body: bytes, *, delivery: str, capture):
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    with capture(execute=True):
        response = client.generic(
            "POST",
            "/webhooks/github/github-app/",
            body,
            content_type="application/json",
            HTTP_X_GITHUB_EVENT="deployment_protection_rule",
            HTTP_X_GITHUB_DELIVERY=delivery,
            HTTP_X_HUB_SIGNATURE_256=f"sha256={signature}",
        )
    assert response.status_code in (200, 202)
    return response


def answers(github) -> list[tuple[str, dict]]:
    """(Authorization header, JSON body) of each answer GitHub received, in order."""
    return [
        (request.headers["Authorization"], request.get_json())
        for request, _ in github.log
        if request.path == CALLBACK_PATH
    ]


def token_requests(github):
    return [request for request, _ in github.log if request.path == TOKEN_PATH]


def test_it_approves_a_deployment_the_gate_allows(
    client, source, github, app_key, eager_tasks, django_capture_on_commit_callbacks
):
    change = change_awaiting_signoff()
    signoff_append(change=change, signer=change.service.owner_of_record, decision="approve")

    deliver(
        client, payload(github, sha=change.sha), delivery="d-1", capture=django_capture_on_commit_callbacks
    )

    assert answers(github) == [
        (
            "Bearer ghs_installation_token",
            {
                "environment_name": "production",
                "state": "approved",
                "comment": "**Accountability gate: allow** (policy v1) for `payments` at "
                f"`{change.sha[:12]}` → production\n\nEvery control passed.",
            },
        )
    ]
    # The installation token was bought with a JWT of the app, signed by its key, at most 10 minutes long.
    (token_request,) = token_requests(github)
    app_jwt = token_request.headers["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(app_jwt, app_key.public_key(), algorithms=["RS256"])
    assert claims["iss"] == APP_ID
    assert claims["exp"] - claims["iat"] <= 600
    request = ProtectionRuleRequest.objects.get()
    assert (request.state, request.answers, request.last_decision.decision) == ("approved", 1, "allow")
    assert Delivery.objects.get(external_id="d-1").status == Delivery.Status.PROCESSED


def test_it_rejects_with_the_failed_controls_in_markdown(
    client, source, github, eager_tasks, django_capture_on_commit_callbacks
):
    change = change_awaiting_signoff()

    deliver(
        client, payload(github, sha=change.sha), delivery="d-1", capture=django_capture_on_commit_callbacks
    )

    ((authorization, body),) = answers(github)
    assert authorization == "Bearer ghs_installation_token"
    assert body == {
        "environment_name": "production",
        "state": "rejected",
        "comment": f"**Accountability gate: deny** (policy v1) for `payments` at `{change.sha[:12]}` "
        "→ production\n\nFailed controls:\n"
        "- ❌ **Owner of record signed off** (required): Nobody has signed off this change.\n"
        "- ❌ **Signer is in the owning team or is the owner of record** (required): "
        "There is no approval whose signer could be checked.",
    }
    assert ProtectionRuleRequest.objects.get().state == "rejected"
    assert GateDecision.objects.get().requested_by == "github:acme/payments"


@pytest.mark.parametrize("environment", ["prd", "Production EU", "live-eu", "main", "canary"])
def test_it_rejects_a_deployment_to_an_unmapped_github_environment(
    client, source, github, eager_tasks, django_capture_on_commit_callbacks, environment
):
    change = change_awaiting_signoff()

    deliver(
        client,
        payload(github, sha=change.sha, environment=environment),
        delivery="d-1",
        capture=django_capture_on_commit_callbacks,
    )

    ((_, body),) = answers(github)
    assert (body["environment_name"], body["state"]) == (environment, "rejected")
    assert "is not mapped: treated as production until an admin maps it" in body["comment"]
    assert GateDecision.objects.get().environment == "production"


def test_it_approves_a_rejected_deployment_once_the_owner_signs(
    client, source, github, eager_tasks, django_capture_on_commit_callbacks
):
    change = change_awaiting_signoff()
    deliver(
        client, payload(github, sha=change.sha), delivery="d-1", capture=django_capture_on_commit_callbacks
    )

    with django_capture_on_commit_callbacks(execute=True):
        signoff_append(change=change, signer=change.service.owner_of_record, decision="approve")

    assert [body["state"] for _, body in answers(github)] == ["rejected", "approved"]
    assert all(authorization == "Bearer ghs_installation_token" for authorization, _ in answers(github))
    # One installation token, cached, served both answers.
    assert len(token_requests(github)) == 1
    request = ProtectionRuleRequest.objects.get()
    assert (request.state, request.answers) == ("approved", 2)
    assert [d.decision for d in GateDecision.objects.order_by("id")] == ["deny", "allow"]


def test_it_does_not_answer_a_rejected_deployment_again_while_the_gate_still_denies(
    client, source, github, eager_tasks, django_capture_on_commit_callbacks
):
    change = change_awaiting_signoff()
    deliver(
        client, payload(github, sha=change.sha), delivery="d-1", capture=django_capture_on_commit_callbacks
    )

    protection_rules_reevaluate_task.delay()

    assert [body["state"] for _, body in answers(github)] == ["rejected"]
    assert GateDecision.objects.count() == 1


def test_it_rejects_an_unregistered_change_and_answers_a_redelivery_only_once(
    client, source, github, eager_tasks, django_capture_on_commit_callbacks
):
    change_awaiting_signoff()
    body = payload(github, sha="ef" * 20)

    deliver(client, body, delivery="d-1", capture=django_capture_on_commit_callbacks)
    deliver(client, body, delivery="d-2", capture=django_capture_on_commit_callbacks)

    ((_, answer),) = answers(github)
    assert answer["state"] == "rejected"
    assert "Change not registered" in answer["comment"]
    assert ProtectionRuleRequest.objects.count() == 1


def test_it_retries_when_github_is_down_and_answers_once_it_is_back(httpserver, github):
    change = change_awaiting_signoff()
    signoff_append(change=change, signer=change.service.owner_of_record, decision="approve")
    data = json.loads(payload(github, sha=change.sha))
    # The handler stores the request; its answer task is run by hand below, as a worker's retries would.
    protection_rule_receive(GitHubEvent(name="deployment_protection_rule", action="requested", data=data))
    request = ProtectionRuleRequest.objects.get()
    handlers = list(httpserver.handlers)
    httpserver.clear_all_handlers()
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_response(Response(status=502))

    with pytest.raises(GitHubTransientError):
        protection_rule_answer(request_id=request.pk)
    request.refresh_from_db()
    assert (request.state, request.answers) == ("pending", 0)

    httpserver.clear_all_handlers()
    httpserver.handlers.extend(handlers)
    protection_rule_answer(request_id=request.pk)

    request.refresh_from_db()
    assert (request.state, request.answers) == ("approved", 1)
    assert [body["state"] for _, body in answers(github)] == ["approved"]


def test_it_closes_a_request_whose_callback_is_not_on_githubs_api_host(
    client, source, github, eager_tasks, django_capture_on_commit_callbacks
):
    change = change_awaiting_signoff()
    data = json.loads(payload(github, sha=change.sha))
    data["deployment_callback_url"] = "https://attacker.example/steal"

    deliver(client, json.dumps(data).encode(), delivery="d-1", capture=django_capture_on_commit_callbacks)

    request = ProtectionRuleRequest.objects.get()
    assert request.state == "closed"
    assert "is not on" in request.error
    # GitHub's own API saw only the token and the commit status of the (denied) change: no answer went out.
    assert {request.path for request, _ in github.log} <= {TOKEN_PATH, f"{STATUSES_PREFIX}{change.sha}"}


def test_it_stores_the_real_sample_and_closes_it_for_want_of_an_installation(
    client, source, eager_tasks, django_capture_on_commit_callbacks
):
    body = (SAMPLE / "requested.octokit-webhooks-net.json").read_bytes()

    deliver(client, body, delivery="d-1", capture=django_capture_on_commit_callbacks)

    request = ProtectionRuleRequest.objects.get()
    assert (request.repository, request.environment_name, request.environment, request.sha) == (
        "Codertocat/Hello-World",
        "my-environment",
        "production",  # nobody mapped it: fail closed
        "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
    )
    assert (request.state, request.error) == ("closed", "the delivery names no GitHub App installation")


def test_it_stops_watching_a_rejected_deployment_after_the_watch_window(settings):
    settings.GATE_PROTECTION_WATCH_HOURS = 24
    old = ProtectionRuleRequest.objects.create(
        repository="acme/payments",
        environment_name="production",
        environment="production",
        sha="ab" * 20,
        callback_url="https://api.github.com/repos/acme/payments/actions/runs/1/deployment_protection_rule",
        state="rejected",
        requested_at=timezone.now() - timedelta(hours=25),
    )
    fresh = ProtectionRuleRequest.objects.create(
        repository="acme/payments",
        environment_name="production",
        environment="production",
        sha="ab" * 20,
        callback_url="https://api.github.com/repos/acme/payments/actions/runs/2/deployment_protection_rule",
        state="rejected",
        requested_at=timezone.now() - timedelta(hours=1),
    )

    assert protection_rules_reevaluate() == [fresh.pk]
    old.refresh_from_db()
    assert (old.state, old.error) == ("closed", "no longer watched after 24 h")


@pytest.fixture
def worker_with_github_app(github, settings, monkeypatch):
    """The fake GitHub's address and the app's key in the environment a real worker process starts with."""
    monkeypatch.setenv("GITHUB_API_URL", settings.GITHUB_API_URL)
    monkeypatch.setenv("GITHUB_APP_ID", settings.GITHUB_APP_ID)
    monkeypatch.setenv("GITHUB_APP_PRIVATE_KEY", settings.GITHUB_APP_PRIVATE_KEY)
    return github


@pytest.mark.integration
def test_a_real_worker_rejects_then_approves_once_the_owner_signs(
    worker_with_github_app, celery_worker_process
):
    github = worker_with_github_app
    SourceFactory(kind=Source.Kind.GITHUB, name="github-app", secret=SECRET)
    change = change_awaiting_signoff()
    body = payload(github, sha=change.sha)
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()

    response = Client().generic(
        "POST",
        "/webhooks/github/github-app/",
        body,
        content_type="application/json",
        HTTP_X_GITHUB_EVENT="deployment_protection_rule",
        HTTP_X_GITHUB_DELIVERY="worker-1",
        HTTP_X_HUB_SIGNATURE_256=f"sha256={signature}",
    )
    assert response.status_code in (200, 202)
    wait_until(lambda: len(answers(github)) == 1, timeout=60)
    signoff_append(change=change, signer=change.service.owner_of_record, decision="approve")
    wait_until(lambda: len(answers(github)) == 2, timeout=60)

    assert [body["state"] for _, body in answers(github)] == ["rejected", "approved"]
    request = ProtectionRuleRequest.objects.get()
    assert (request.state, request.answers) == ("approved", 2)


def test_it_re_evaluates_waiting_deployments_on_the_beat(settings):
    from accountability.celery import app

    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["api-protection-rules-reevaluate"]

    assert entry["task"] == protection_rules_reevaluate_task.name
    assert entry["task"] in app.tasks
    assert entry["schedule"] <= 5 * 60


def test_its_answer_task_tolerates_a_request_that_no_longer_exists(httpserver):
    from accountability.gate.tasks import protection_rule_answer_task

    protection_rule_answer_task.run(10**9)

    assert httpserver.log == []
    assert not GateDecision.objects.exists()
