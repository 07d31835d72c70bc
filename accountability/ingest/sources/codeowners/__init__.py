"""CODEOWNERS: one repository's file per delivery (delivery.py), pulled (pull.py) or imported
(`manage.py import_codeowners`). The contract of every source (ingest/sources/__init__.py); a file is the one
event this source has, so it needs no handlers dict."""

from accountability.ingest.sources.codeowners.delivery import (
    EVENT,
    REPOSITORY_HEADER,
    apply,
    identify,
    parse,
    verify,
)
from accountability.ingest.sources.codeowners.pull import pull

__all__ = ["EVENT", "RECEIVES_WEBHOOKS", "REPOSITORY_HEADER", "apply", "identify", "parse", "pull", "verify"]

RECEIVES_WEBHOOKS = False
