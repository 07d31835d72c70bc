"""Labelled incident scenarios (tests/fixtures/suspect-scenarios), fed through the public doors only.

Each scenario's changes are registered through the CI API, its deployments and rollbacks delivered as
signed CDEvents, its incident as a signed PagerDuty delivery (or a CDEvents incident naming an artifact);
then the changes are analysed (risk) and the incident ranked, as the worker would. See SOURCES.md there.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.test import Client

from accountability.analysis.graph import graph_get
from accountability.analysis.services import change_analyze
from accountability.analysis.suspects import suspects_refresh
from accountability.api.tokens import token_create
from accountability.catalog.models import Dependency, Service
from accountability.changes.models import Change, Deployment
from accountability.incidents.models import Incident
from accountability.ingest.models import Delivery, Source
from accountability.ingest.processing import delivery_process
from tests.factories import ServiceFactory, SourceFactory
from tests.ingest.conftest import cdevents_headers, pagerduty_envelope, pagerduty_headers, post

SCENARIOS = Path(__file__).resolve().parent.parent / "fixtures" / "suspect-scenarios"
EDGES = [
    ("web", "api"),
    ("api", "payments"),
    ("api", "auth"),
    ("api", "orders-db"),
    ("payments", "orders-db"),
]
SLUGS = ["web", "api", "payments", "auth", "orders-db", "search"]


def scenarios() -> list[tuple[str, dict]]:
    return [(path.stem, json.loads(path.read_text())) for path in sorted(SCENARIOS.glob("*.json"))]


def catalog_create() -> None:
    services = {slug: ServiceFactory(slug=slug, name=slug, repositories=[f"acme/{slug}"]) for slug in SLUGS}
    for slug, service in services.items():
        service.pagerduty_service_id = f"P{slug.upper().replace('-', '')}"
        service.save(update_fields=["pagerduty_service_id"])
    for source, target in EDGES:
        Dependency.objects.create(from_service=services[source], to_service=services[target])
    SourceFactory(kind=Source.Kind.CDEVENTS, name="cd")
    SourceFactory(kind=Source.Kind.PAGERDUTY, name="pd")


@dataclass
class Outcome:
    ranked: list[str]  # change keys, best first
    baseline: str | None  # the latest deploy's change key
    reasons: dict[str, list[str]]  # change key -> reason codes


class Doors:
    """The public doors, as the senders use them."""

    def __init__(self, *, name: str, now: datetime):
        _, token = token_create(name=f"ci-{name}"[:100], scopes=["changes:write", "evidence:write"])
        self.api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        self.webhooks = Client()
        self.name, self.now = name, now

    def sha(self, key: str) -> str:
        return hashlib.sha1(f"{self.name}:{key}".encode()).hexdigest()  # noqa: S324 - an id, not security

    def at(self, minutes_before: float) -> str:
        return (self.now - timedelta(minutes=minutes_before)).isoformat()

    def change_register(self, key: str, spec: dict) -> None:
        body = {
            "service": spec["service"],
            "sha": self.sha(key),
            "repository": f"acme/{spec['service']}",
            "title": f"{self.name}: {key}",
            "paths": spec["paths"],
            "merged_at": self.at(spec["deployed"] + 30),
        }
        if "ai" in spec:
            body["provenance"] = {"ai_used": True, "level": spec["ai"]}
        if "rollback_plan" in spec:
            body["rollback_plan"] = {"strategy": "redeploy_previous", **spec["rollback_plan"]}
        if spec.get("reviewed"):
            body["evidence"] = [{"kind": "human_review", "result": "passed", "actor": "reviewer"}]
        response = self.api.post("/api/v1/changes", json.dumps(body), content_type="application/json")
        assert response.status_code == 201, response.content
        if spec.get("rehearsed"):
            rehearsal = {"result": "passed", "at": self.at(spec["deployed"] + 60 * 24)}
            url = f"/api/v1/changes/{spec['service']}/{self.sha(key)}/rollback-rehearsals"
            response = self.api.post(url, json.dumps(rehearsal), content_type="application/json")
            assert response.status_code == 201, response.content

    def cdevent(self, kind: str, *, subject: dict, minutes_before: float) -> None:
        event = {
            "context": {
                "specversion": "0.4.1",
                "id": str(uuid.uuid4()),
                "source": "/deployer",
                "type": f"dev.cdevents.{kind}.0.2.0",
                "timestamp": self.at(minutes_before),
            },
            "subject": subject,
        }
        body = json.dumps(event).encode()
        assert post(self.webhooks, "/webhooks/cdevents/cd/", body, cdevents_headers(body)).status_code == 202

    def deploy(self, key: str, spec: dict, *, kind: str = "service.deployed", minutes_before: float) -> None:
        content = {
            "environment": {"id": spec.get("environment", "production")},
            "artifactId": f"pkg:generic/{spec['service']}@{self.sha(key)}",
        }
        self.cdevent(kind, subject={"id": spec["service"], "content": content}, minutes_before=minutes_before)

    def incident(self, spec: dict, *, artifact_sha: str = "") -> None:
        if spec.get("via") == "cdevents":
            content = {
                "description": f"{self.name}: errors",
                "environment": {"id": "production"},
                "service": {"id": spec["service"]},
                "artifactId": f"pkg:generic/{spec['service']}@{artifact_sha}",
            }
            self.cdevent(
                "incident.detected", subject={"id": f"inc-{self.name}", "content": content}, minutes_before=0
            )
            return
        data = {
            "id": f"Q{self.sha('incident')[:10].upper()}",
            "type": "incident",
            "status": "triggered",
            "title": f"{self.name}: errors",
            "created_at": self.at(0),
            "html_url": "https://acme.pagerduty.com/incidents/1",
            "service": {"id": f"P{spec['service'].upper().replace('-', '')}", "type": "service_reference"},
            "assignees": [],
        }
        envelope = pagerduty_envelope(
            data, event_type="incident.triggered", event_id=str(uuid.uuid4()), occurred_at=self.at(0)
        )
        body = json.dumps(envelope).encode()
        assert (
            post(self.webhooks, "/webhooks/pagerduty/pd/", body, pagerduty_headers(body)).status_code == 202
        )


def _apply_pending() -> None:
    # The receivers enqueue on commit, which a test's transaction never does: applied here instead.
    for delivery_id in Delivery.objects.filter(status="pending").order_by("id").values_list("id", flat=True):
        delivery_process(delivery_id=delivery_id)
    failed = list(Delivery.objects.filter(status="failed").values_list("event_type", "error"))
    assert not failed, failed


def scenario_run(*, name: str, scenario: dict, now: datetime) -> Outcome:
    """Feeds one scenario through the doors and ranks its incident.

    1. Register every change (CI API), then deploy each at its time (CDEvents), oldest first.
    2. Deliver its rollbacks (CDEvents service.rolledback of the version restored).
    3. Analyse the changes (risk), as the worker does after ingest, then deliver the incident.
    4. Rank it; the baseline is the change of the latest deployment before the start (restores included).
    """
    doors = Doors(name=name, now=now)
    changes = scenario["changes"]
    for key, spec in changes.items():
        doors.change_register(key, spec)
    for key, spec in sorted(changes.items(), key=lambda item: -item[1]["deployed"]):
        doors.deploy(key, spec, minutes_before=spec["deployed"])
    _apply_pending()
    for rollback in sorted(scenario["rollbacks"], key=lambda item: -item["at"]):
        spec = {"service": rollback["service"]}
        doors.deploy(rollback["to"], spec, kind="service.rolledback", minutes_before=rollback["at"])
    _apply_pending()
    keys = {doors.sha(key): key for key in changes}
    for change in Change.objects.filter(sha__in=keys):
        change_analyze(change_id=change.id)
    artifact = scenario["incident"].get("artifact_of")
    doors.incident(scenario["incident"], artifact_sha=doors.sha(artifact) if artifact else "")
    _apply_pending()
    incident = Incident.objects.get(title=f"{name}: errors")
    rows = suspects_refresh(incident=incident)
    by_id = {change.id: keys[change.sha] for change in Change.objects.filter(sha__in=keys)}
    return Outcome(
        ranked=[by_id[row.change_id] for row in rows],
        baseline=_latest_deploy(incident=incident, by_id=by_id),
        reasons={by_id[row.change_id]: [reason["code"] for reason in row.reasons] for row in rows},
    )


def _latest_deploy(*, incident: Incident, by_id: dict[int, str]) -> str | None:
    affected = list(incident.services.values_list("id", flat=True))
    services = graph_get().dependencies_within(service_ids=affected, hops=3)
    latest = (
        Deployment.objects.filter(
            environment=incident.environment,
            change__service_id__in=list(services),
            change_id__in=list(by_id),
            finished_at__lte=incident.started_at,
        )
        .order_by("-finished_at", "-id")
        .first()
    )
    return by_id[latest.change_id] if latest else None


def precision_at_1_and_mrr(outcomes: list[tuple[str, list[str]]]) -> tuple[float, float]:
    """(precision@1, mean reciprocal rank) of (cause, ranking) pairs; a cause not ranked counts 0."""
    hits = sum(1 for cause, ranked in outcomes if ranked[:1] == [cause])
    reciprocal = sum(1 / (ranked.index(cause) + 1) for cause, ranked in outcomes if cause in ranked)
    return hits / len(outcomes), reciprocal / len(outcomes)


__all__ = ["Outcome", "Service", "catalog_create", "precision_at_1_and_mrr", "scenario_run", "scenarios"]
