"""GitHub CI results: a completed check suite or workflow run is ci_tests evidence on its head sha."""

from django.utils import timezone

from accountability.changes.identity import change_by_pull_request, change_by_sha
from accountability.changes.models import Evidence
from accountability.ingest.errors import DeliveryIgnored
from accountability.ingest.models import Delivery
from accountability.ingest.payload import (
    count,
    get,
    link,
    sha,
    text,
)
from accountability.ingest.sources.github.webhook import PROVIDER, GitHubEvent, repository_name
from accountability.ingest.upserts import lock, service_for_repository, timestamp

_CI_RESULTS = {
    "success": Evidence.Result.PASSED,
    "failure": Evidence.Result.FAILED,
    "timed_out": Evidence.Result.FAILED,
    "startup_failure": Evidence.Result.FAILED,
}


def _ci_evidence(event: GitHubEvent, *, run: dict, external_id: str, url: str, name: str) -> str:
    if event.action != "completed":
        raise DeliveryIgnored(f"{event.name} {event.action}, not completed")
    conclusion = text(run, "conclusion")
    result = _CI_RESULTS.get(conclusion)
    if result is None:
        raise DeliveryIgnored(f"{event.name} concluded {conclusion or 'nothing'}, which is no test result")
    repository = repository_name(event.data)
    head_sha = sha(run, "head_sha")
    pull_requests = [p for p in get(run, "pull_requests", list, default=[]) if isinstance(p, dict)]
    default_branch = get(event.data, "repository.default_branch", default="")
    if not pull_requests and text(run, "head_branch") != default_branch:
        raise DeliveryIgnored(
            f"{event.name} ran on {text(run, 'head_branch')}, not the default branch or a PR"
        )
    service = service_for_repository(repository)
    lock(f"github:{repository.lower()}")
    if pull_requests:
        change = change_by_pull_request(
            service=service,
            repository=repository,
            number=count(pull_requests[0], "number"),
            head_sha=head_sha,
        )
    else:
        change = change_by_sha(service=service, repository=repository, sha=head_sha)
    Evidence.objects.update_or_create(
        change=change,
        kind=Evidence.Kind.CI_TESTS,
        source=PROVIDER,
        external_id=external_id,
        defaults={
            "result": result,
            "url": url,
            "sha": head_sha[:64],
            "detail": f"{name}: {conclusion}"[:2000],
            "at": timestamp(get(run, "updated_at", default=None), field=f"{event.name}.updated_at")
            or timezone.now(),
        },
    )
    return Delivery.Status.PROCESSED


def check_suite(event: GitHubEvent) -> str:
    suite = get(event.data, "check_suite", dict)
    repository_url = link(event.data, "repository.html_url")
    return _ci_evidence(
        event,
        run=suite,
        external_id=f"check_suite:{get(suite, 'id', int)}",
        url=f"{repository_url}/commit/{sha(suite, 'head_sha')}/checks"[:500] if repository_url else "",
        name=text(suite, "app.name") or "check suite",
    )


def workflow_run(event: GitHubEvent) -> str:
    run = get(event.data, "workflow_run", dict)
    # A re-run is a new attempt with its own result; each attempt is its own evidence.
    attempt = get(run, "run_attempt", int, default=1)
    return _ci_evidence(
        event,
        run=run,
        external_id=f"workflow_run:{get(run, 'id', int)}:{attempt}",
        url=link(run, "html_url"),
        name=text(run, "name") or "workflow",
    )
