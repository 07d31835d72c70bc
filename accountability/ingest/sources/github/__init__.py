"""GitHub webhooks: merged PRs, pushes to the default branch, approving reviews, CI results, deployments.

The contract of every source (ingest/sources/__init__.py): webhook.py verifies and parses, changes.py,
checks.py and deployments.py handle the events, pull.py reads the REST API into the same deliveries. The
protection rule and the GitHub App client are the deploy gate's (gate/; docs/decisions.md says why). What is
used (DESIGN §5) and what is ignored:

- `pull_request` whose PR is merged (closed+merged, or labeled after the merge) → Change: title, URL, author,
  merged_by, merged_at, size, labels (a union: a label removed after the merge stays). Not merged → ignored.
  A PR an AI agent opened keeps its human driver: its human assignees and the "Requested by" the body names.
- `push` to the repository's default branch → Commit rows with their messages, on the change of the pushed
  head; other branches, tag pushes and branch deletions → ignored.
- `pull_request_review` submitted with state approved → Evidence human_review. Reviews by a bot or AI agent
  account, by the PR's author, or by the driver of the agent that wrote it, are stored as `warned` with the
  reason, so the page can say why they do not count; whether the reviewer is also a commit co-author is
  judged when the policy is evaluated, because the commits may arrive later. Other review states → ignored.
- `check_suite` / `workflow_run` completed → Evidence ci_tests on the head sha (success → passed; failure,
  timed_out, startup_failure → failed; neutral, skipped, cancelled, stale → ignored).
- `deployment`, `deployment_status` → Deployment; `production_environment` (or an environment named
  production) marks production; queued/pending → queued, in_progress, success → succeeded, failure/error →
  failed; inactive (superseded) leaves the status alone. A status never moves a deployment backwards, so
  statuses arriving out of order end in the same state.
- `deployment_protection_rule` requested → the deploy gate answers GitHub (accountability/gate/protection.py,
  which adds its handler to HANDLERS when the gate app is ready).
- anything else (ping, issues, …) → stored, ignored.
"""

from collections.abc import Callable

from accountability.ingest.errors import DeliveryIgnored
from accountability.ingest.models import Delivery
from accountability.ingest.sources.github.changes import pull_request, pull_request_review, push
from accountability.ingest.sources.github.checks import check_suite, workflow_run
from accountability.ingest.sources.github.deployments import deployment, deployment_status
from accountability.ingest.sources.github.pull import pull
from accountability.ingest.sources.github.webhook import GitHubEvent, identify, parse, verify

__all__ = ["HANDLERS", "RECEIVES_WEBHOOKS", "GitHubEvent", "apply", "identify", "parse", "pull", "verify"]

RECEIVES_WEBHOOKS = True

HANDLERS: dict[str, Callable[[GitHubEvent], str]] = {
    "pull_request": pull_request,
    "push": push,
    "pull_request_review": pull_request_review,
    "check_suite": check_suite,
    "workflow_run": workflow_run,
    "deployment": deployment,
    "deployment_status": deployment_status,
}
# The deploy gate, an app above ingest, adds deployment_protection_rule at startup (GateConfig.ready).


def apply(*, delivery: Delivery, payload: GitHubEvent) -> str:
    handler = HANDLERS.get(payload.name)
    if handler is None:
        raise DeliveryIgnored(f"GitHub event {payload.name!r} is not used")
    return handler(payload)
