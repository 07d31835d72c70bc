from celery import shared_task

from accountability.ingest.pull.runner import source_pull, sources_due


@shared_task(name="ingest.pull_source", ignore_result=True)
def pull_source(source_id: int) -> int | None:
    return source_pull(source_id=source_id)


@shared_task(name="ingest.pull_due_sources", ignore_result=True)
def pull_due_sources() -> int:
    """Enqueue a pull of every source whose schedule says it is due (beat runs this every minute)."""
    due = sources_due()
    for source_id in due:
        pull_source.delay(source_id)
    return len(due)
