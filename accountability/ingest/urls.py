from django.urls import path

from accountability.ingest import views
from accountability.ingest.models import Source

app_name = "ingest"

urlpatterns = [
    path(f"{kind}/<slug:name>/", views.receive, {"kind": kind}, name=f"receive-{kind}")
    for kind in (Source.Kind.GITHUB, Source.Kind.PAGERDUTY, Source.Kind.CDEVENTS)
]
