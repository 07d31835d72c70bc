"""The one NinjaAPI of /api/v1/: one router module per area, mounted here."""

from ninja import NinjaAPI, Swagger

from accountability.api import changes, gaps, gate, incidents, intake, ledger, metrics, service_routes
from accountability.api.auth import TokenAuth
from accountability.api.errors import install_error_handlers

api = NinjaAPI(
    title="Accountability API",
    version="1",
    description=(
        "Register changes with their AI provenance, evidence and rollback plan from CI; attach evidence and "
        "rollback rehearsals later; ask the deploy gate; read changes, services, owners, incidents with "
        "their suspects, gaps and metrics. Lists are paged with an opaque `cursor` (pass `next_cursor`). "
        "Authenticate with `Authorization: Bearer <token>` (scopes: read, changes:write, evidence:write, "
        "reviews:attest, gate); every error is JSON "
        '`{"message": ..., "errors": [{"field": ..., "message": ...}]}`.'
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url="/docs",
    # Swagger UI is served from ninja's own static files; its validator badge would call an outside host,
    # which the site's CSP forbids anyway.
    docs=Swagger(settings={"validatorUrl": None}),
    openapi_url="/openapi.json",
)
install_error_handlers(api)
api.add_router("/", intake.router)
api.add_router("/", gate.router)
api.add_router("/", changes.router)
api.add_router("/", service_routes.router)
api.add_router("/", incidents.router)
api.add_router("/", gaps.router)
api.add_router("/", metrics.router)
api.add_router("/", ledger.router)
