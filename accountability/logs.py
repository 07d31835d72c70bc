"""Logs a machine can read: one JSON object per line, each carrying the id of the request (or the task)
it belongs to, so one delivery can be followed from the receiver's answer to the worker that applied it.

The id comes from the request's X-Request-ID header when it is a plausible id (a proxy's), else it is made
here; it is answered in X-Request-ID, travels with every task the request enqueues (a Celery message
header, accountability/celery.py) and is set again around the task's run.
"""

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("request_id", default="")

# What a proxy may hand us: ids are logged and echoed, so nothing that could forge a log line or a header.
PLAUSIBLE_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")


def request_id_from(header: str | None) -> str:
    """The caller's id when it is plausible, else a new one."""
    if header and PLAUSIBLE_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (empty outside a request or a task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """time (UTC), level, logger, message, request_id, and the exception's traceback when there is one."""

    converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", ""),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
