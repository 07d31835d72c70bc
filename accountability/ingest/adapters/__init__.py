"""One adapter module per source kind, all of the same shape:

- ``verify(*, source, headers, body) -> None`` raises SignatureError unless the source signed
  the raw body;
- ``parse(*, body, headers) -> payload`` raises PayloadError for input that cannot be understood;
- ``delivery_apply(*, delivery, payload) -> str`` maps the payload into domain upserts and returns
  "processed" or "ignored" (or raises DeliveryIgnored with a reason, or PayloadError).

Receivers and `delivery_process` look the module up here by `Source.kind`.
"""

from types import ModuleType

from accountability.ingest.adapters import api, backstage, cdevents, codeowners, github, pagerduty
from accountability.ingest.models import Source

ADAPTERS: dict[str, ModuleType] = {
    Source.Kind.GITHUB: github,
    Source.Kind.PAGERDUTY: pagerduty,
    Source.Kind.CDEVENTS: cdevents,
    Source.Kind.API: api,
    Source.Kind.BACKSTAGE: backstage,
    Source.Kind.CODEOWNERS: codeowners,
}
