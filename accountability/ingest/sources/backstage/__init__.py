"""Backstage: the software catalog, pulled (pull.py) or imported from files (`manage.py import_catalog`), one
snapshot per delivery (delivery.py). The contract of every source (ingest/sources/__init__.py); a snapshot is
the one event this source has, so it needs no handlers dict."""

from accountability.ingest.sources.backstage.delivery import EVENT, apply, identify, parse, verify
from accountability.ingest.sources.backstage.pull import pull

__all__ = ["EVENT", "RECEIVES_WEBHOOKS", "apply", "identify", "parse", "pull", "verify"]

RECEIVES_WEBHOOKS = False
