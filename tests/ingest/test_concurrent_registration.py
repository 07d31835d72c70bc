"""The CI API and the webhooks about the same pull requests, applied at the same moment by different
workers and requests (separate database connections), end in the state of applying them one by one.

Issue 15: a `POST /api/v1/changes` racing the PR's webhooks lost the merge (an unlocked full-row save left
the change at the head sha with its title blanked) and a `pull_request.closed` delivery failed permanently
with IntegrityError change_unique_service_sha. Each seed shuffles who starts first and staggers them.
"""

import hashlib
import json
import random
import re
import threading
import time

import pytest
from django.db import connections, transaction
from django.test import Client

from accountability.api.tokens import token_create
from accountability.changes.models import Change, ProvenanceRecord
from accountability.ingest.models import Delivery, Source
from accountability.ingest.processing import delivery_process
from accountability.ingest.services import delivery_store
from tests.conftest import wait_until
from tests.factories import PersonFactory, ServiceFactory, SourceFactory
from tests.ingest.test_github_order import HEAD_SHA, MERGE_SHA, realistic_sequence, state

REPOSITORY = "ailisp/gcbapp-buildconfig-example"
SHA = re.compile(r"\b[0-9a-f]{40}\b")


def _other_pr(events: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    """The same life for PR #4: every sha, the number and the deployment ids its own."""
    text = json.dumps(events)
    text = SHA.sub(lambda m: hashlib.sha1(f"pr4:{m.group(0)}".encode()).hexdigest(), text)  # noqa: S324
    text = re.sub(r'"number": 3\b', '"number": 4', text)
    text = text.replace("145988747", "145988999").replace("209916253", "209916999")
    return [tuple(pair) for pair in json.loads(text)]


def _shas_of_pr4() -> tuple[str, str]:
    def remap(sha):
        return hashlib.sha1(f"pr4:{sha}".encode()).hexdigest()  # noqa: S324

    return remap(MERGE_SHA), remap(HEAD_SHA)


def _registrations() -> list[dict]:
    """What a pipeline sends for each PR: the merge registered after the merge, the head built before."""
    bodies = []
    for number, (merge, head) in ((3, (MERGE_SHA, HEAD_SHA)), (4, _shas_of_pr4())):
        bodies.append(
            {
                "service": "buildconfig",
                "sha": merge,
                "repository": REPOSITORY,
                "pr_number": number,
                "title": f"CI's name for #{number}",
                "authors": ["byao1276"],
                "merged_at": "2019-05-15T15:20:30Z",
                "touches_schema_migration": True,
                "paths": ["db/migrations/0002_add_column.sql", "README.md"],
                "labels": ["from-ci"],
                "evidence": [
                    {
                        "kind": "canary_analysis",
                        "result": "passed",
                        "id": f"canary-{number}",
                        "at": "2019-05-15T16:00:00Z",
                    }
                ],
            }
        )
        bodies.append(
            {
                "service": "buildconfig",
                "sha": head,
                "repository": REPOSITORY,
                "rollback_plan": {"strategy": "redeploy_previous", "steps": "Redeploy the previous image."},
                "evidence": [
                    {
                        "kind": "ci_tests",
                        "result": "passed",
                        "id": f"ci-{number}",
                        "at": "2019-05-15T15:10:00Z",
                    }
                ],
            }
        )
    return bodies


def _webhooks(source) -> list[int]:
    events = realistic_sequence() + _other_pr(realistic_sequence())
    ids = []
    for number, (event, payload) in enumerate(events):
        delivery, _ = delivery_store(
            source=source,
            external_id=f"{number}-{event}",
            event_type=event,
            headers={"x-github-event": event},
            body=json.dumps(payload).encode(),
        )
        ids.append(delivery.id)
    return ids


def _register(token: str, body: dict) -> int:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.post("/api/v1/changes", json.dumps(body), content_type="application/json")
    assert response.status_code < 300, response.content
    return response.status_code


def _full_state() -> dict:
    result = state()
    for change in result["changes"]:
        row = Change.objects.get(sha=change["sha"])
        change["touched"] = row.touched
        change["rollback"] = getattr(getattr(row, "rollback_plan", None), "steps", None)
        change["evidence"] = sorted(row.evidence.values_list("kind", "external_id"))
    return result


def _wipe() -> None:
    Change.objects.all().delete()
    Delivery.objects.all().delete()
    ProvenanceRecord.objects.all().delete()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_api_calls_racing_the_webhooks_end_as_applied_one_by_one(seed):
    ServiceFactory(slug="buildconfig", repositories=[REPOSITORY])
    PersonFactory(github_login="byao1276")
    PersonFactory(github_login="ailisp")
    source = SourceFactory(kind=Source.Kind.GITHUB)
    _, token = token_create(name="ci", scopes=["changes:write", "evidence:write"])

    for delivery_id in _webhooks(source):
        delivery_process(delivery_id=delivery_id)
    for body in _registrations():
        assert _register(token, body) in (200, 201)
    sequential = _full_state()
    _wipe()

    jobs = [("webhook", delivery_id) for delivery_id in _webhooks(source)]
    jobs += [("api", body) for body in _registrations()]
    shuffler = random.Random(seed)
    shuffler.shuffle(jobs)
    delays = [shuffler.uniform(0, 0.03) for _ in jobs]
    start = threading.Barrier(len(jobs))
    answers = []

    def work(kind, job, delay):
        start.wait()
        time.sleep(delay)
        try:
            if kind == "api":
                answers.append(_register(token, job))
            else:
                delivery_process(delivery_id=job)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=work, args=(*job, delay)) for job, delay in zip(jobs, delays, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [201] * 4, "the pipeline never sees a 4xx/5xx for a race"
    failed = list(
        Delivery.objects.exclude(status__in=["processed", "ignored"]).values_list("event_type", "error")
    )
    assert failed == []
    concurrent = _full_state()
    for key in sequential:
        assert concurrent[key] == sequential[key], key
    shas = [change["sha"] for change in concurrent["changes"]]
    assert sorted(shas) == sorted([MERGE_SHA, _shas_of_pr4()[0]]), "a head sha and its merge are one change"
    first = next(change for change in concurrent["changes"] if change["sha"] == MERGE_SHA)
    assert (first["title"], first["migration"], first["merged_at"] is not None) == (
        "Byao1276 patch 1",
        True,
        True,
    )


def _waiting_on_a_lock(statement_start: str) -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
            [f"{statement_start}%"],
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_a_registration_that_loses_the_insert_race_is_applied_again_onto_the_winners_row():
    """Another writer that does not share the registration's lock (a transaction of its own, here) inserts
    the change first: the registration's insert waits on the unique index, fails with 23505 when the other
    commits, and is applied again in a new savepoint, merging into the winner's row."""
    service = ServiceFactory(slug="buildconfig", repositories=[REPOSITORY])
    _, token = token_create(name="ci", scopes=["changes:write"])
    inserted, release, answers = threading.Event(), threading.Event(), []

    def other_writer():
        try:
            with transaction.atomic():
                Change.objects.create(service=service, sha=MERGE_SHA, repository=REPOSITORY)
                inserted.set()
                release.wait(30)
        finally:
            connections.close_all()

    def pipeline():
        try:
            answers.append(_register(token, {"service": "buildconfig", "sha": MERGE_SHA, "title": "From CI"}))
        finally:
            connections.close_all()

    writer, registration = threading.Thread(target=other_writer), threading.Thread(target=pipeline)
    writer.start()
    assert inserted.wait(30)
    registration.start()
    wait_until(lambda: _waiting_on_a_lock('INSERT INTO "changes_change"'), timeout=30, interval=0.05)
    release.set()
    writer.join(30)
    registration.join(60)

    assert answers == [201]
    change = Change.objects.get(sha=MERGE_SHA)
    assert change.title == "From CI"
    assert list(Delivery.objects.values_list("status", flat=True)) == ["processed"]
