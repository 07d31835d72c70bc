from django.urls import path

from accountability.ingest import views
from accountability.ingest.sources import WEBHOOK_KINDS

app_name = "ingest"

urlpatterns = [
    path(f"{kind}/<slug:name>/", views.receive, {"kind": kind}, name=f"receive-{kind}")
    for kind in WEBHOOK_KINDS
]
