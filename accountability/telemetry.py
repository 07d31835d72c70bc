"""The product's process-level measurements, for Prometheus (served at /metrics by web/metrics.py).

Request latency, task durations and failures, and the time from a delivery's receipt to its application
happen in many processes (gunicorn's workers, Celery's pool): with PROMETHEUS_MULTIPROC_DIR set (make run,
the Dockerfile, docker-compose), prometheus_client writes each process's values to a file there and
/metrics sums them. Only counters and histograms are kept here, whose sums stay right when a process dies.
"""

from prometheus_client import Counter, Histogram

# Seconds. Webhook answers and pages take milliseconds; tasks and applications take up to minutes.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900)
APPLY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)

request_duration = Histogram(
    "accountability_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, URL pattern and status class",
    ["method", "route", "status"],
    buckets=REQUEST_BUCKETS,
)
task_duration = Histogram(
    "accountability_task_duration_seconds",
    "Time a Celery task ran, by task name",
    ["task"],
    buckets=TASK_BUCKETS,
)
task_failures = Counter(
    "accountability_task_failures_total",
    "Celery tasks that raised, by task name (a retried task counts each failed run)",
    ["task"],
)
delivery_apply_latency = Histogram(
    "accountability_delivery_apply_latency_seconds",
    "Time from a delivery's receipt to its application (processed, ignored or failed), by source kind",
    ["kind"],
    buckets=APPLY_BUCKETS,
)
