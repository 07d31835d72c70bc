"""GitHub deployments and their statuses: a Deployment row whose status never moves backwards."""

from django.db import connection

from accountability.changes.identity import change_by_sha
from accountability.changes.models import Change, Deployment
from accountability.followups import analysis_schedule_for_deployment
from accountability.ingest.models import Delivery
from accountability.ingest.payload import (
    get,
    link,
    sha,
    text,
)
from accountability.ingest.sources.github.webhook import PROVIDER, GitHubEvent, repository_name
from accountability.ingest.upserts import (
    environment_name,
    lock,
    person_by_login,
    service_for_repository,
    timestamp,
)

_DEPLOYMENT_STATUS = {
    "queued": Deployment.Status.QUEUED,
    "pending": Deployment.Status.QUEUED,
    "in_progress": Deployment.Status.IN_PROGRESS,
    "success": Deployment.Status.SUCCEEDED,
    "failure": Deployment.Status.FAILED,
    "error": Deployment.Status.FAILED,
}
_FINAL = {Deployment.Status.SUCCEEDED, Deployment.Status.FAILED, Deployment.Status.ROLLED_BACK}
_RANK = {Deployment.Status.QUEUED: 0, Deployment.Status.IN_PROGRESS: 1}


# One statement whether the deployment is new or not (update_or_create takes five round trips with its
# savepoints); the conflict target repeats the partial unique index's predicate so PostgreSQL infers it.
# Every event of a deployment carries its description; the one with the latest `created_at` wins, so
# descriptions that disagree end the same whatever their order. A stale one updates nothing and returns no
# row, so the row is read instead. The change is joined in the same statement, found by its sha as it is for
# most deployments (their commit was pushed first): a lookup of its own was a round trip and, through the
# ORM, about a millisecond of Python per deployment in a backlog drain (issue 19).
_UPSERT_DEPLOYMENT = f"""
    INSERT INTO {Deployment._meta.db_table} AS row
        (provider, external_id, change_id, environment, started_at, deployed_by_login, deployed_by_id, url,
         status, artifact_id)
    SELECT %s, %s, change.id, %s, %s, %s, %s, %s, %s, ''
    FROM {Change._meta.db_table} AS change
    WHERE {{change}}
    ON CONFLICT (provider, external_id) WHERE external_id <> '' DO UPDATE SET
        change_id = excluded.change_id, environment = excluded.environment, started_at = excluded.started_at,
        deployed_by_login = excluded.deployed_by_login, deployed_by_id = excluded.deployed_by_id,
        url = excluded.url
    WHERE row.started_at IS NULL OR excluded.started_at >= row.started_at
    RETURNING id, status, finished_at
"""  # noqa: S608 - the table names are ours, every value is a parameter
_UPSERT_AT_SHA = _UPSERT_DEPLOYMENT.format(change="change.service_id = %s AND change.sha = %s")
_UPSERT_OF_CHANGE = _UPSERT_DEPLOYMENT.format(change="change.id = %s")


def _deployment_upsert(data: dict) -> Deployment:
    """The deployment's row, inserted or updated, joined to the change at its sha in one statement.

    No row back means either that no change is at that sha yet (a deploy heard of before its commit, or one
    of a merged PR's commits) or that the event is stale: `change_by_sha` finds or creates the change and
    the upsert is made for it; no row back again means stale, and the stored row is read.
    """
    deployment = get(data, "deployment", dict)
    repository = repository_name(data)
    service = service_for_repository(repository)
    lock(f"github:{repository.lower()}")
    commit = sha(deployment, "sha")
    creator = text(deployment, "creator.login", limit=100)
    production = get(deployment, "production_environment", bool, default=None)
    row = Deployment(
        provider=PROVIDER,
        external_id=str(get(deployment, "id", int)),
        environment=environment_name(text(deployment, "environment"), production=production),
        started_at=timestamp(get(deployment, "created_at", default=None), field="deployment.created_at"),
        deployed_by_login=creator,
        deployed_by=person_by_login(creator),
        url=link(deployment, "url"),
    )
    values = [
        row.provider,
        row.external_id,
        row.environment,
        row.started_at,
        row.deployed_by_login,
        row.deployed_by_id,
        row.url,
        Deployment.Status.QUEUED,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT_AT_SHA, [*values, service.id, commit])
        upserted = cursor.fetchone()
        if upserted is None:
            change = change_by_sha(service=service, repository=repository, sha=commit)
            cursor.execute(_UPSERT_OF_CHANGE, [*values, change.id])
            upserted = cursor.fetchone()
    if upserted is None:
        return Deployment.objects.get(provider=PROVIDER, external_id=row.external_id)
    row.id, row.status, row.finished_at = upserted
    return row


def _deployment_recorded(row: Deployment) -> None:
    analysis_schedule_for_deployment(
        environment=row.environment,
        started_at=row.started_at,
        finished_at=row.finished_at,
        active=row.status not in _FINAL,
    )


def deployment(event: GitHubEvent) -> str:
    _deployment_recorded(_deployment_upsert(event.data))
    return Delivery.Status.PROCESSED


def deployment_status(event: GitHubEvent) -> str:
    """Records the status; never backwards (queued < in progress < final), the newest final one wins."""
    row = _deployment_upsert(event.data)
    status_data = get(event.data, "deployment_status", dict)
    state = get(status_data, "state")
    status = _DEPLOYMENT_STATUS.get(state)
    if status is None:
        return Delivery.Status.PROCESSED  # inactive: superseded by a later deployment, nothing to record
    at = timestamp(get(status_data, "created_at", default=None), field="deployment_status.created_at")
    if status in _FINAL:
        newer = row.status not in _FINAL or (at and (row.finished_at is None or at >= row.finished_at))
        if newer:
            row.status, row.finished_at = status, at
    elif row.status not in _FINAL and _RANK[status] >= _RANK.get(row.status, 0):
        row.status = status
    row.save(update_fields=["status", "finished_at"])
    _deployment_recorded(row)
    return Delivery.Status.PROCESSED
