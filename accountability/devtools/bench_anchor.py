"""The floor under the webhook receiver, for `make bench`: bare Django doing what any receiver must.

A WSGI application of its own (no middleware, no apps, no sessions), served by the same gunicorn under the
same load as the product's receiver: it checks the GitHub signature, parses the JSON, stores the body and
headers with `INSERT … ON CONFLICT DO NOTHING` in a logged table and answers 202; with BENCH_ANCHOR_PUSH=1
it also LPUSHes the new row's id to Redis, the least an asynchronous hand-off to a worker costs. The
product's receive rate divided by these is how near the floor the product's own work (middleware, source
lookup, delivery record and its indexes, the wake-up of the workers) keeps it.
"""

import hashlib
import hmac
import json
import os

import django
import redis
from django.conf import settings

TABLE = "bench_anchor_delivery"
SECRET = b"bench-webhook-secret"
# A logged table, as the product's: a row that a crash may lose (UNLOGGED, or synchronous_commit off) would
# not be "stored before 2xx", and skipping the WAL flush of each commit is not a floor any receiver may use.
CREATE_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(id bigserial PRIMARY KEY, external_id text NOT NULL UNIQUE, event text NOT NULL, "
    "headers jsonb NOT NULL, body bytea NOT NULL, received_at timestamptz NOT NULL DEFAULT now())"
)

if not settings.configured:
    import dj_database_url

    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-anchor",  # noqa: S106 - signs nothing: no sessions, no forms
        ALLOWED_HOSTS=["127.0.0.1"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        DATABASES={"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=600)},
    )
    django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402 - after settings.configure
from django.db import connection  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

PUSH = os.environ.get("BENCH_ANCHOR_PUSH") == "1"
broker = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")) if PUSH else None


@csrf_exempt
def receive(request, name: str):
    body = request.body  # `name` (the source) is not looked up: the floor knows one secret
    expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(request.headers.get("X-Hub-Signature-256", ""), expected):
        return JsonResponse({"message": "bad signature"}, status=401)
    try:
        json.loads(body)
    except ValueError:
        return JsonResponse({"message": "malformed"}, status=400)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (external_id, event, headers, body) "  # noqa: S608 - our table
            "VALUES (%s, %s, %s::jsonb, %s) ON CONFLICT (external_id) DO NOTHING RETURNING id",
            [
                request.headers.get("X-GitHub-Delivery", ""),
                request.headers.get("X-GitHub-Event", ""),
                json.dumps(dict(request.headers)),
                body,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return JsonResponse({"status": "duplicate"}, status=200)
    if broker is not None:
        broker.lpush(f"{TABLE}:queue", row[0])
    return JsonResponse({"status": "accepted", "delivery": row[0]}, status=202)


urlpatterns = [path("webhooks/github/<str:name>/", receive)]

application = get_wsgi_application()
