import os
import time

from celery import Celery, signals

from accountability.logs import request_id
from accountability.telemetry import task_duration, task_failures

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accountability.settings")

app = Celery("accountability")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def close_old_connections(sender, **kwargs) -> None:
    """What Django does around each request, around each task run by a worker (CELERY_DB_REUSE_MAX): a
    connection that broke (PostgreSQL restarted) or outlived DATABASE_CONN_MAX_AGE is closed, and the next
    query opens a new one. A task run eagerly shares its caller's connection and transaction: left alone."""
    if getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@signals.setup_logging.connect
def keep_djangos_logging(**kwargs) -> None:
    """Django's LOGGING (settings.py) is the worker's too, LOG_LEVEL and LOG_FORMAT included: with a receiver
    on this signal Celery configures no logging of its own (and ignores --loglevel)."""


@signals.before_task_publish.connect
def request_id_travels(headers=None, **kwargs) -> None:
    """A task enqueued while serving a request (or running a task) carries that request's id."""
    if headers is not None and request_id.get():
        headers.setdefault("request_id", request_id.get())


@signals.task_prerun.connect
def task_started(sender=None, task=None, **kwargs) -> None:
    task.request.started_at = time.perf_counter()
    if not task.request.is_eager:  # an eager task runs inside its caller, whose id stays
        task.request.request_id_token = request_id.set(task.request.get("request_id") or task.request.id)


@signals.task_postrun.connect
def task_finished(sender=None, task=None, **kwargs) -> None:
    started = getattr(task.request, "started_at", None)
    if started is not None:
        task_duration.labels(task.name).observe(time.perf_counter() - started)
    token = getattr(task.request, "request_id_token", None)
    if token is not None:
        request_id.reset(token)


@signals.task_failure.connect
def task_failed(sender=None, **kwargs) -> None:
    task_failures.labels(sender.name if sender is not None else "unknown").inc()
