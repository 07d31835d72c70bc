"""Forty incidents, most with a seeded cause: a risky production deploy shortly before the incident started.

The cause is recorded the way an on-call engineer would, as an annotation on the timeline
("Suspected cause: <service-slug>@<short sha>"), so suspect ranking can be checked against it. To keep
the cause unambiguous, no other production deploy of the incident's search area (its services and
what they depend on, up to three hops) finishes in the six hours before it started.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from accountability.catalog.models import Person, Service
from accountability.devtools.demo import data
from accountability.devtools.demo.history import HistoryPlanner, PlannedChange, Timeline
from accountability.devtools.demo.organisation import Organisation
from accountability.incidents.models import Incident, IncidentEvent

QUIET_WINDOW = timedelta(hours=6)
INCIDENT_COUNT = 40
CAUSED_RESOLVED = 28
# (minutes before now, status, severity) of the incidents still open.
OPEN_INCIDENTS = [
    (25, "triggered", "SEV1"),
    (70, "triggered", "SEV2"),
    (180, "acknowledged", "SEV2"),
    (360, "acknowledged", "SEV3"),
]
FIRST_OPEN_SERVICE = "api-gateway"  # owned by SRE, whose on-call engineer is the demo commander
PRIORITY = {"SEV1": "P1", "SEV2": "P2", "SEV3": "P3", "SEV4": "P4"}


@dataclass
class PlannedIncident:
    started_at: datetime
    status: str
    severity: str
    affected: list[str]
    search_area: set[str]
    cause_service: str | None = None
    cause_finish: datetime | None = None
    risk: str | None = None
    cause: PlannedChange | None = None
    source: str = "pagerduty"

    def window_holds(self, slug: str, at: datetime) -> bool:
        return slug in self.search_area and self.started_at - QUIET_WINDOW <= at <= self.started_at


def incidents_plan(*, org: Organisation, rng: random.Random, now: datetime) -> list[PlannedIncident]:
    """Choose when each incident starts, which services it hits, and (for most) which service caused it.

    1. The four open incidents start in the last six hours; the first hits the API gateway.
    2. The resolved ones start at least 12 hours apart over the past 88 days.
    3. Each candidate is refused when its cause deploy would fall in another incident's quiet window
       (or another's cause in its own), or when an open incident's search area reaches the demo
       owner's service (whose pending changes must not turn into suspects).
    """
    affectable = [
        s
        for s in org.services.values()
        if s.kind != Service.Kind.DATASTORE and s.dependencies_known and s.owner_team and s.tier <= 3
    ]
    weights = [{1: 3, 2: 2, 3: 1}[s.tier] for s in affectable]
    incidents: list[PlannedIncident] = []

    def attempt(
        started_at: datetime, status: str, severity: str, with_cause: bool, first: str | None
    ) -> bool:
        primary = org.services[first] if first else rng.choices(affectable, weights)[0]
        affected = [primary.slug]
        dependents = [s for s, deps in org.depends_on.items() if primary.slug in deps and s in org.services]
        if dependents and rng.random() < 0.3:
            affected.append(rng.choice(dependents))
        area = set().union(*(org.upstream(slug) for slug in affected))
        incident = PlannedIncident(started_at, status, severity, affected, area)
        if status != "resolved" and data.DEMO_OWNER_SERVICE in area:
            return False
        if with_cause:
            upstream_services = [
                d
                for d in org.depends_on[primary.slug]
                if org.services[d].kind != Service.Kind.DATASTORE and org.services[d].owner_team
            ]
            cause = (
                rng.choice(upstream_services) if upstream_services and rng.random() < 0.35 else primary.slug
            )
            incident.cause_service = cause
            incident.cause_finish = started_at - timedelta(minutes=rng.uniform(20, 90))
            incident.risk = rng.choices(["generated", "unreviewed", "migration"], [4, 3, 3])[0]
            if incident.risk == "migration" and org.services[cause].kind == Service.Kind.WEBSITE:
                incident.risk = "generated"
        for other in incidents:
            if other.cause_service and incident.window_holds(other.cause_service, other.cause_finish):
                return False
            if incident.cause_service and other.window_holds(incident.cause_service, incident.cause_finish):
                return False
        incidents.append(incident)
        return True

    for n, (minutes, status, severity) in enumerate(OPEN_INCIDENTS):
        started_at = now - timedelta(minutes=minutes)
        while not attempt(started_at, status, severity, True, FIRST_OPEN_SERVICE if n == 0 else None):
            pass

    resolved = INCIDENT_COUNT - len(OPEN_INCIDENTS)
    causes = [True] * CAUSED_RESOLVED + [False] * (resolved - CAUSED_RESOLVED)
    rng.shuffle(causes)
    for with_cause in causes:
        while True:
            started_at = now - timedelta(days=rng.uniform(0.5, 88))
            if any(abs(started_at - other.started_at) < timedelta(hours=12) for other in incidents):
                continue
            severity = rng.choices(["SEV1", "SEV2", "SEV3", "SEV4"], [1, 3, 4, 2])[0]
            if attempt(started_at, "resolved", severity, with_cause, None):
                break
    incidents.sort(key=lambda i: i.started_at)
    return incidents


def incident_quiet_windows(*, incidents: list[PlannedIncident], planner: HistoryPlanner) -> None:
    for incident in incidents:
        if incident.cause_service:
            for slug in sorted(incident.search_area):  # sorted: set order varies between processes
                planner.blocked.setdefault(slug, []).append(
                    (incident.started_at - QUIET_WINDOW, incident.started_at)
                )


def incident_causes_plan(*, incidents: list[PlannedIncident], planner: HistoryPlanner) -> None:
    """Plan the risky change each caused incident is blamed on, deployed 20 to 90 minutes before it."""
    rng = planner.rng
    for incident in incidents:
        if not incident.cause_service:
            continue
        service = planner.org.services[incident.cause_service]
        finish = incident.cause_finish
        start = finish - timedelta(minutes=rng.uniform(4, 12))
        timeline = Timeline(
            merged_at=start - timedelta(minutes=rng.uniform(60, 300)), prod_start=start, prod_finish=finish
        )
        if incident.risk == "generated":
            incident.cause = planner.plan_change(
                service=service, flavour="generated", timeline=timeline, schema=False, extra_evidence=False
            )
        elif incident.risk == "unreviewed":
            flavour = rng.choice(["assisted_line", "majority", "none"])
            incident.cause = planner.plan_change(
                service=service,
                flavour=flavour,
                timeline=timeline,
                schema=False,
                reviewed=False,
                extra_evidence=False,
            )
        else:
            flavour = rng.choice(["none", "assisted_line", "unknown"])
            incident.cause = planner.plan_change(
                service=service, flavour=flavour, timeline=timeline, schema=True, extra_evidence=False
            )


def _external_id(rng: random.Random, prefix: str, length: int) -> str:
    return prefix + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(length))


def incidents_write(
    *, incidents: list[PlannedIncident], org: Organisation, rng: random.Random, now: datetime
) -> list[Incident]:
    """Write incidents, their affected services and timelines; returns the incidents in start order."""
    caused_resolved = [i for i in incidents if i.cause and i.status == "resolved"]
    for incident in rng.sample(caused_resolved, 3):
        incident.source = "cdevents"  # detected by the pipeline's own checks, linked to an artifact

    rows: list[Incident] = []
    events: list[IncidentEvent] = []
    commanders: list[Person | None] = []
    for planned in incidents:
        primary = org.services[planned.affected[0]]
        team = primary.owner_team.slug
        # Whoever holds the team's pager commands; for an open incident, that is whoever holds it now.
        at = planned.started_at if planned.status == "resolved" else now
        commander = org.on_call(team, at) or org.on_call("sre", at)
        commanders.append(commander)
        symptom = rng.choice(data.INCIDENT_SYMPTOMS)
        if planned.source == "cdevents":
            external_id = f"{rng.getrandbits(128):032x}"
            external_id = "-".join(
                (external_id[:8], external_id[8:12], external_id[12:16], external_id[16:20], external_id[20:])
            )
            url = ""
            artifact = planned.cause.production.artifact_id
        else:
            external_id = _external_id(rng, "Q", 13)
            url = f"https://{data.ORG}.pagerduty.com/incidents/{external_id}"
            artifact = ""
        start = planned.started_at
        acknowledged = (
            start + timedelta(minutes=rng.uniform(1, 12)) if planned.status != "triggered" else None
        )
        resolved = start + timedelta(minutes=rng.uniform(25, 300)) if planned.status == "resolved" else None
        rows.append(
            Incident(
                source=planned.source,
                external_id=external_id,
                title=f"{primary.name}: {symptom}",
                severity=planned.severity,
                priority=PRIORITY[planned.severity],
                status=planned.status,
                started_at=start,
                acknowledged_at=acknowledged,
                resolved_at=resolved,
                environment="production",
                commander=commander,
                url=url,
                artifact_id=artifact,
            )
        )
        actor = commander.name if commander else "PagerDuty"

        incident = rows[-1]

        def event(kind: str, at: datetime, summary: str, by: str, incident: Incident = incident) -> None:
            events.append(
                IncidentEvent(
                    incident=incident,
                    at=at,
                    kind=kind,
                    summary=summary,
                    actor=by,
                    external_id=_external_id(rng, "R", 13),
                )
            )

        event(
            "triggered",
            start,
            f"[{planned.severity}] {primary.name}: {symptom} (monitor: {primary.slug}-slo)",
            "Datadog",
        )
        if acknowledged:
            event("acknowledged", acknowledged, "Acknowledged", actor)
        if planned.cause:
            change = planned.cause.change
            at = start + timedelta(minutes=rng.uniform(6, 25))
            event(
                "annotated", min(at, now), f"Suspected cause: {change.service.slug}@{change.sha[:7]}", actor
            )
        if planned.severity == "SEV1" and acknowledged:
            event("escalated", acknowledged + timedelta(minutes=3), "Escalated to level 2", "PagerDuty")
        if resolved:
            if planned.cause:
                cause = planned.cause.change
                summary = f"Resolved: rolled back {cause.service.slug} to the release before {cause.sha[:7]}"
            else:
                summary = "Resolved: upstream provider recovered; no change of ours involved"
            event("resolved", resolved, summary, actor)

    Incident.objects.bulk_create(rows)
    IncidentEvent.objects.bulk_create(events)
    Incident.services.through.objects.bulk_create(
        [
            Incident.services.through(incident_id=row.pk, service_id=org.services[slug].pk)
            for row, planned in zip(rows, incidents, strict=True)
            for slug in planned.affected
        ]
    )
    return rows
