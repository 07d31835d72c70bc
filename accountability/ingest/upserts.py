"""What the sources share when they write: finding services and people (remembered for a batch), advisory
locks, timestamps and environment names from payloads.

Which change a sha or a pull request is (the identity of a Change, and the folding of stand-ins into the
merged PR's row) is the domain's: accountability/changes/identity.py. Fields have one authoritative event each
(the merged PR for title, authors and size; the push for commits), others only fill them in when they create
the row; everything that accumulates (commit shas, labels, "touches a migration") is a union, kept sorted.
"""

import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils.dateparse import parse_datetime

from accountability.catalog.environments import environment_classify, environment_normalise
from accountability.catalog.models import Person, Service
from accountability.changes.models import Change
from accountability.ingest.errors import DeliveryIgnored, PayloadError

# Paths that mean a change carries a schema migration (Django, Rails, Alembic, Flyway, Liquibase, plain SQL).
_MIGRATION_PATH = re.compile(
    r"(^|/)(migrations?|migrate|alembic/versions|db/changelog)/|(^|/)V\d+__.+\.sql$|\.sql$", re.IGNORECASE
)


# The reason a delivery of a repository no service lists is ignored with; the gap scan finds them by it
# (UNCLAIMED_REPOSITORY) and replays them once a service claims the repository.
UNCLAIMED_PREFIX = "repository "
UNCLAIMED_SUFFIX = " is not listed on any service"


def unclaimed_repository(error: str) -> str | None:
    """The repository an ignored delivery's reason names as listed on no service, else None."""
    if error.startswith(UNCLAIMED_PREFIX) and error.endswith(UNCLAIMED_SUFFIX):
        return error.removeprefix(UNCLAIMED_PREFIX).removesuffix(UNCLAIMED_SUFFIX)
    return None


@dataclasses.dataclass
class _Batch:
    """What the deliveries applied together in one transaction (processing.delivery_process) share.

    - lookups: catalog rows found, by lookup. Webhook adapters read the catalog but never write it, so within
      the transaction the answer cannot change; after a delivery that may write it, all are forgotten.
    - locks: advisory locks the transaction holds. A lock taken inside a delivery's savepoint is held until
      the commit once that savepoint is released, and is gone when it is rolled back (PostgreSQL releases
      what a rolled-back subtransaction took), so it is remembered only after a release.
    """

    lookups: dict = dataclasses.field(default_factory=dict)
    locks_held: set[str] = dataclasses.field(default_factory=set)
    locks_taken: set[str] = dataclasses.field(default_factory=set)


# None outside a batch, where every lookup and lock queries.
_batch: ContextVar[_Batch | None] = ContextVar("ingest_batch", default=None)


@contextmanager
def batch_shared() -> Iterator[None]:
    token = _batch.set(_Batch())
    try:
        yield
    finally:
        _batch.reset(token)


def batch_delivery_done(*, released: bool, catalog_written: bool) -> None:
    """After each delivery of a batch: whether its savepoint was released, and whether it may have written
    the catalog (an import, the CI API)."""
    batch = _batch.get()
    if batch is None:
        return
    if released:
        batch.locks_held |= batch.locks_taken
    batch.locks_taken = set()
    if catalog_written:
        batch.lookups.clear()


def batch_locks_lost() -> None:
    """After a delivery's savepoint was rolled back for a retry: the locks it took are gone with it."""
    batch = _batch.get()
    if batch is not None:
        batch.locks_taken = set()


def _looked_up(key: tuple, find: Callable[[], object]) -> object:
    batch = _batch.get()
    if batch is None:
        return find()
    if key not in batch.lookups:
        # An exception (an unknown repository) is not remembered: the next delivery raises it again.
        batch.lookups[key] = find()
    return batch.lookups[key]


def lock(key: str) -> None:
    """Serialises concurrent deliveries about the same thing until the end of the transaction.

    Adapters take it at the level of the delivery, not inside a nested savepoint of their own, so that in a
    batch "taken by this delivery" stays true until its savepoint ends.
    """
    batch = _batch.get()
    if batch is not None and (key in batch.locks_held or key in batch.locks_taken):
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
    if batch is not None:
        batch.locks_taken.add(key)


def timestamp(value: object, *, field: str) -> datetime | None:
    """An ISO 8601 timestamp from a payload; None when absent, PayloadError when it is not a timestamp."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{field} is not a timestamp: {value!r}")
    try:
        parsed = parse_datetime(value.replace("+0000", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None:
        raise PayloadError(f"{field} is not a timestamp: {value!r}")
    # A time without an offset is taken as UTC, as the senders here all write UTC.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def environment_name(name: str, *, production: bool | None = None) -> str:
    """Our environment for a source's name, as an admin classified it; an unmapped name is production
    (catalog/environments.py). Every adapter stores this, so no spelling keeps a deployment out of the
    production controls."""
    key = ("environment", environment_normalise(name), bool(production))
    return _looked_up(key, lambda: environment_classify(name=name, production=production).environment)


def touches_migration(paths: Iterable[str]) -> bool:
    return any(_MIGRATION_PATH.search(path) for path in paths)


def service_for_repository(full_name: str) -> Service:
    """The one service whose `repositories` lists "owner/name" (case-insensitive, as GitHub names are).

    An unknown repository is not an error of the sender: the delivery is ignored with the reason, and can be
    replayed once a service lists the repository. A repository listed on several services is ambiguous for
    deployments, so it fails with a message naming them.
    """
    if not full_name:
        raise PayloadError("the payload names no repository")
    return _looked_up(("repository", full_name.lower()), lambda: _service_for_repository(full_name))


def _service_for_repository(full_name: str) -> Service:
    listed = RawSQL(
        # Written exactly as the expression of the index catalog_service_repositories_lower, so it is used.
        'catalog_lower_array("catalog_service"."repositories"::text[]) @> ARRAY[lower(%s)]::text[]',
        [full_name],
        output_field=BooleanField(),
    )
    services = list(Service.objects.alias(listed=listed).filter(listed=True).order_by("slug")[:3])
    if not services:
        raise DeliveryIgnored(f"{UNCLAIMED_PREFIX}{full_name}{UNCLAIMED_SUFFIX}")
    if len(services) > 1:
        slugs = ", ".join(service.slug for service in services)
        raise PayloadError(f"repository {full_name} is listed on several services ({slugs}); list it on one")
    return services[0]


def service_by_name(*names: str) -> Service | None:
    """The service whose slug or name equals one of `names` (case-insensitive), first name first."""
    for name in names:
        if not name:
            continue
        service = _looked_up(
            ("service name", name.lower()),
            Service.objects.filter(Q(slug__iexact=name) | Q(name__iexact=name)).order_by("slug").first,
        )
        if service is not None:
            return service
    return None


def person_by_login(login: str) -> Person | None:
    if not login:
        return None
    # A lambda: the queryset is built only on a miss (building it was half a lookup's cost in a batch).
    return _looked_up(
        ("github login", login.lower()),
        lambda: Person.objects.annotate(login=Lower("github_login")).filter(login=login.lower()).first(),
    )


def person_by_pagerduty_id(user_id: str) -> Person | None:
    if not user_id:
        return None
    return _looked_up(
        ("pagerduty id", user_id), lambda: Person.objects.filter(pagerduty_user_id=user_id).first()
    )


def change_link_people(change: Change) -> None:
    """Links authors and merger to the people whose GitHub login they are, when we know them."""
    logins = [login.lower() for login in change.author_logins]
    people = Person.objects.annotate(login=Lower("github_login")).filter(login__in=logins)
    change.authors.set(people)
    merged_by = person_by_login(change.merged_by_login)
    if change.merged_by_id != (merged_by.id if merged_by else None):
        change.merged_by = merged_by
        change.save(update_fields=["merged_by", "updated_at"])
