"""The sources we take data from: one package per `Source.Kind`, one line each in `SOURCES`.

Every source package has the same contract, in its `__init__.py`:

- ``verify(*, source, headers, body) -> None`` raises SignatureError unless the source signed the raw body
  (a source that is only pulled refuses every pushed body);
- ``parse(*, body, headers) -> payload`` raises PayloadError for input that cannot be understood;
- ``identify(*, payload, headers, body) -> (external id, event type)`` names the delivery (receivers store it
  under this; pulled items are named by their pull job);
- ``apply(*, delivery, payload) -> str`` writes the payload into the domain, through the `HANDLERS` dict of
  its event types when it has several, and returns "processed" (or raises DeliveryIgnored with the reason,
  or PayloadError);
- ``pull(*, source) -> int`` (or None when the source is only pushed) stores what it reads as deliveries,
  so pushed and pulled data take one path; ``RECEIVES_WEBHOOKS`` says whether it has a receiver URL.

Receivers (receiving.py), the worker (processing.py) and the pull runner (pull_runner.py) look the package
up here by `Source.kind`. docs/architecture.md says how to add one.
"""

from types import ModuleType

from accountability.ingest.models import Source
from accountability.ingest.sources import backstage, cdevents, ci_api, codeowners, github, pagerduty

SOURCES: dict[str, ModuleType] = {
    Source.Kind.GITHUB: github,
    Source.Kind.PAGERDUTY: pagerduty,
    Source.Kind.CDEVENTS: cdevents,
    Source.Kind.API: ci_api,
    Source.Kind.BACKSTAGE: backstage,
    Source.Kind.CODEOWNERS: codeowners,
}

# Kinds with a receiver URL (`/webhooks/<kind>/<name>/`, ingest/urls.py) and a signing secret.
WEBHOOK_KINDS = tuple(kind for kind, module in SOURCES.items() if module.RECEIVES_WEBHOOKS)
# Kinds with a pull job, run on each source's schedule (pull_runner.py).
PULLERS = {kind: module.pull for kind, module in SOURCES.items() if module.pull is not None}
