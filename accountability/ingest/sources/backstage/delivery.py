"""Backstage catalog deliveries: one snapshot of entities (the catalog API's JSON, or catalog-info YAML).

Backstage sends no webhooks; its deliveries come from its pull job (this package's `pull`) and the import
command. The snapshot goes through the catalog importer; entities it cannot use are skipped and logged, and
the snapshot still applies.
"""

import logging

from accountability.catalog.importers.backstage import CatalogParseError, catalog_import, entities_parse
from accountability.followups import analysis_schedule_unclaimed
from accountability.ingest.errors import PayloadError, SignatureError
from accountability.ingest.models import Delivery, Source
from accountability.ingest.payload import body_digest

logger = logging.getLogger(__name__)


# The one event a delivery of this source is (its pull job and its import command store it under this).
EVENT = "catalog.snapshot"


def verify(*, source: Source, headers: dict, body: bytes) -> None:
    raise SignatureError("the Backstage catalog is pulled, not pushed: it has no webhook receiver")


def parse(*, body: bytes, headers: dict) -> list[dict]:
    try:
        return entities_parse(body)
    except CatalogParseError as error:
        raise PayloadError(str(error)) from None


def identify(*, payload: list[dict], headers: dict, body: bytes) -> tuple[str, str]:
    # Pulled and imported files are named by their digest: the same file twice is one delivery.
    return body_digest(body), EVENT


def apply(*, delivery: Delivery, payload: list[dict]) -> str:
    result = catalog_import(entities=payload)
    for problem in result.problems:
        logger.warning("catalog delivery %s: %s", delivery.pk, problem)
    # A service may now list a repository whose deliveries were ignored: they are replayed onto it.
    analysis_schedule_unclaimed()
    return Delivery.Status.PROCESSED
