"""The one NinjaAPI of /api/v1/: one router module per area, mounted here."""

from ninja import NinjaAPI

from accountability.api import gate, intake
from accountability.api.auth import TokenAuth
from accountability.api.errors import install_error_handlers

api = NinjaAPI(
    title="Accountability API",
    version="1",
    description=(
        "Register changes with their AI provenance, evidence and rollback plan from CI; attach evidence and "
        "rollback rehearsals later. Authenticate with `Authorization: Bearer <token>`; every error is JSON "
        '`{"message": ..., "errors": [{"field": ..., "message": ...}]}`.'
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)
api.add_router("/", intake.router)
api.add_router("/", gate.router)
