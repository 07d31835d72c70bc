import os

from celery import Celery, signals

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
