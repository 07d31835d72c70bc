"""Load the demo organisation: one seeded generator, times relative to the hour the seed runs."""

import json
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction

from accountability.catalog.models import Person, RecordSource, Service, Team
from accountability.changes.models import Deployment
from accountability.devtools.demo import data
from accountability.devtools.demo.history import HistoryPlanner, Timeline, history_write
from accountability.devtools.demo.incidents import (
    incident_causes_plan,
    incident_quiet_windows,
    incidents_plan,
    incidents_write,
)
from accountability.devtools.demo.organisation import Organisation, organisation_build

CHANGE_COUNT = 2000
REVOKED_SIGNOFFS = 4
ROLES = ("viewer", "owner", "commander", "admin")
# Concurrent seeds (two `make run`s on one database) wait for each other instead of both loading.
SEED_LOCK_KEY = 0x5EED


def demo_present() -> bool:
    return Team.objects.filter(record_source=RecordSource.DEMO).exists()


def demo_seed(
    *, seed: int, now: datetime, log: Callable[[str], None] = lambda _: None
) -> dict[str, int] | None:
    """Load the demo organisation in one transaction; returns counts, or None when it is already there.

    1. Under an advisory lock, stop if demo teams exist (a second run changes nothing).
    2. The catalog: teams, people, services, dependencies, rollback defaults, CODEOWNERS, rotas.
    3. Plan the incidents first, so ordinary deploys can be kept out of the hours before each one.
    4. Plan the persona scenarios (the owner's queue, deploys in progress now), the incident causes,
       then ordinary changes up to CHANGE_COUNT, and a few revoked sign-offs.
    5. Write the changes (bulk), append the sign-offs through the ledger, write the incidents, and a
       production deploy from a repository no service lists, ignored as ingest ignores it (a gap).
    6. Create the role groups and the demo logins, linked to their people.
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEED_LOCK_KEY])
        if demo_present():
            return None
        rng = random.Random(seed)
        org = organisation_build(rng=rng, now=now)
        log(f"catalog: {len(org.teams)} teams, {len(org.people)} people, {len(org.services)} services")

        incidents = incidents_plan(org=org, rng=rng, now=now)
        planner = HistoryPlanner(org=org, rng=rng, now=now)
        incident_quiet_windows(incidents=incidents, planner=planner)
        open_area = set().union(*(i.search_area for i in incidents if i.status != "resolved"))
        _plan_owner_queue(planner, org, now)
        _plan_deploys_in_progress(planner, org, rng, now, avoid=open_area)
        incident_causes_plan(incidents=incidents, planner=planner)
        planner.plan_background(count=CHANGE_COUNT - len(planner.planned))
        planner.plan_revokes(count=REVOKED_SIGNOFFS)
        signoffs = history_write(planned=planner.planned)
        log(f"history: {len(planner.planned)} changes, {signoffs} sign-offs")

        written = incidents_write(incidents=incidents, org=org, rng=rng, now=now)
        _unclaimed_deploy_write(now)
        _users_write(org, now)
    return {
        "teams": len(org.teams),
        "people": len(org.people),
        "services": len(org.services),
        "changes": len(planner.planned),
        "signoffs": signoffs,
        "incidents": len(written),
    }


def _plan_owner_queue(planner: HistoryPlanner, org: Organisation, now: datetime) -> None:
    """Changes of the demo owner's tier-1 service waiting for their signature, one of them AI generated."""
    service = org.services[data.DEMO_OWNER_SERVICE]
    queued = Deployment.Status.QUEUED
    planner.plan_change(
        service=service,
        flavour="generated",
        timeline=Timeline(merged_at=now - timedelta(hours=2), prod_status=queued),
        reviewed=True,
        schema=False,
        signed=False,
        extra_evidence=False,
    )
    planner.plan_change(
        service=service,
        flavour="none",
        timeline=Timeline(merged_at=now - timedelta(minutes=50), prod_status=queued),
        reviewed=True,
        schema=False,
        signed=False,
    )
    shipped = now - timedelta(hours=3)
    planner.plan_change(
        service=service,
        flavour="assisted_line",
        timeline=Timeline(
            merged_at=now - timedelta(hours=5), prod_start=shipped, prod_finish=shipped + timedelta(minutes=8)
        ),
        schema=False,
        signed=False,
    )


def _plan_deploys_in_progress(
    planner: HistoryPlanner, org: Organisation, rng: random.Random, now: datetime, *, avoid: set[str]
) -> None:
    """Two production deploys running right now, away from the open incidents' search areas."""
    candidates = [
        s
        for slug, s in org.services.items()
        if s.kind == Service.Kind.SERVICE
        and s.owner_team
        and s.dependencies_known
        and slug not in avoid
        and slug != data.DEMO_OWNER_SERVICE
    ]
    for service in rng.sample(candidates, 2):
        started = now - timedelta(minutes=rng.uniform(3, 12))
        planner.plan_change(
            service=service,
            flavour=rng.choice(["none", "assisted_line", "unknown"]),
            timeline=Timeline(
                merged_at=started - timedelta(minutes=rng.uniform(60, 120)),
                prod_start=started,
                prod_status=Deployment.Status.IN_PROGRESS,
            ),
        )


UNCLAIMED_REPOSITORY = "acme/prototype-api"


def _unclaimed_deploy_write(now: datetime) -> None:
    """A GitHub deployment of a repository nobody listed on a service, stored as ingest stores it: ignored
    with the reason. Listing the repository on a service replays it onto that service."""
    from accountability.ingest.models import Delivery, Source
    from accountability.ingest.upserts import UNCLAIMED_PREFIX, UNCLAIMED_SUFFIX

    source, _ = Source.objects.get_or_create(
        name="demo-github", defaults={"kind": Source.Kind.GITHUB, "enabled": False}
    )
    at = now - timedelta(hours=3)
    payload = {
        "action": "created",
        "deployment": {
            "id": 990001,
            "sha": "5f1c0d3e9a7b2c4d6e8f0a1b3c5d7e9f1a2b3c4d",
            "environment": "production",
            "production_environment": True,
            "created_at": at.isoformat(),
            "creator": {"login": "prototyper"},
        },
        "repository": {"full_name": UNCLAIMED_REPOSITORY},
    }
    # Kept by the demo's reset, like the sources: seeding again finds it.
    delivery, _ = Delivery.objects.get_or_create(
        source=source,
        external_id="demo-unclaimed-deploy",
        defaults={
            "event_type": "deployment.created",
            "headers": {"x-github-event": "deployment"},
            "body": json.dumps(payload).encode(),
            "status": Delivery.Status.IGNORED,
            "error": f"{UNCLAIMED_PREFIX}{UNCLAIMED_REPOSITORY}{UNCLAIMED_SUFFIX}",
            "processed_at": at,
        },
    )
    Delivery.objects.filter(pk=delivery.pk).update(received_at=at)


def _users_write(org: Organisation, now: datetime) -> None:
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ROLES}
    owner = org.services[data.DEMO_OWNER_SERVICE].owner_of_record
    commander = org.on_call("sre", now)
    manager = next(p for p in org.members["commerce"] if p.is_active)
    for username, group, person in (
        ("admin", "admin", None),
        ("manager", "viewer", manager),
        ("owner", "owner", owner),
        ("commander", "commander", commander),
    ):
        _user_write(username=username, group=groups[group], person=person)


def _user_write(*, username: str, group: Group, person: Person | None) -> None:
    user, created = get_user_model().objects.get_or_create(
        username=username,
        defaults={
            "email": person.email if person else f"{username}@{data.EMAIL_DOMAIN}",
            "first_name": person.name.split()[0] if person else "",
            "last_name": person.name.split()[-1] if person else "",
            "is_staff": username == "admin",
            "is_superuser": username == "admin",
        },
    )
    if created:
        user.set_password(settings.DEMO_PASSWORD)
        user.save(update_fields=["password"])
    user.groups.add(group)
    if person is not None and not Person.objects.filter(user=user).exists():
        person.user = user
        person.save(update_fields=["user"])
