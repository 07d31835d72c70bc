"""Server-side latency and size of the dashboard's pages and htmx partials, on whatever database
DATABASE_URL points at (the demo organisation, or a bench one). Single client, in-process:

    DJANGO_ALLOWED_HOSTS=testserver .venv/bin/python scripts/measure_pages.py [--runs 50]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accountability.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accountability.catalog.models import Service  # noqa: E402
from accountability.changes.models import Change  # noqa: E402
from accountability.incidents.models import Incident  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    client = Client()
    client.force_login(get_user_model().objects.get(username="manager"))
    service = Service.objects.filter(owner_team__isnull=False).order_by("tier", "id").first()
    change = Change.objects.order_by("-id").first()
    incident = Incident.objects.order_by("-started_at").first()
    htmx = {"HX-Request": "true"}
    cases = [
        ("risk review, full page", "/review/", {}),
        ("risk review partial (filtered)", "/review/?tier=1&ai_level=generated&signoff=unsigned", htmx),
        ("risk review partial (sorted, page 2)", "/review/?sort=blast&page=2", htmx),
        ("gaps by team", "/review/gaps/", {}),
        ("metrics", "/review/metrics/", {}),
        ("search partial, service name", f"/search/?q={service.name[:5]}", htmx),
        ("search partial, path", f"/search/?q={service.repositories[0]}:src/app.py", htmx),
        ("service page", f"/services/{service.slug}/", {}),
        ("change page", f"/changes/{change.pk}/", {}),
        ("incident page", f"/incidents/{incident.pk}/", {}),
    ]
    print(f"{'page':40} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'KB':>7}")
    for label, url, headers in cases:
        client.get(url, headers=headers)  # warm caches (ledger verification, graph)
        timings = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url, headers=headers)
                timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        timings.sort()
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        print(
            f"{label:40} {statistics.median(timings):8.1f} {p95:8.1f} {len(queries):8d} "
            f"{len(response.content) / 1024:7.1f}"
        )


if __name__ == "__main__":
    main()
