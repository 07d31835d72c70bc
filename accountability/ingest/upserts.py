"""Domain upserts shared by the adapters: finding services and people, and the identity of a Change.

Events about one change arrive in any order (a review before the merge, a push before the PR, a deployment
before either), so the rules here make the end state independent of that order:

- a Change is found by (service, sha) or, before its merge, by (repository, PR number); whatever arrives first
  creates it with what it knows, and the merged PR, when it comes, folds every row that stood for the same
  change into one (`change_fold`);
- fields have one authoritative event each (the merged PR for title, authors and size; the push for commits),
  others only fill them in when they create the row;
- everything that accumulates (commit shas, labels, "touches a migration") is a union, kept sorted.
"""

import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils.dateparse import parse_datetime

from accountability.catalog.environments import environment_classify, environment_normalise
from accountability.catalog.models import Person, Service
from accountability.changes.models import Change, SignOff
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
    return _looked_up(
        ("github login", login.lower()),
        Person.objects.annotate(login=Lower("github_login")).filter(login=login.lower()).first,
    )


def person_by_pagerduty_id(user_id: str) -> Person | None:
    if not user_id:
        return None
    return _looked_up(("pagerduty id", user_id), Person.objects.filter(pagerduty_user_id=user_id).first)


def sorted_union(*lists: Iterable[str]) -> list[str]:
    return sorted({item for items in lists for item in items if item})


def change_by_sha(*, service: Service, repository: str, sha: str, defaults: dict | None = None) -> Change:
    """The change of `service` at `sha`, created with `defaults` when this is the first we hear of it.

    A sha that is one of a merged PR's commits (its head, say, deployed to staging before the merge) finds
    that PR's change, as it would have before the merge folded its head-sha stand-in away.
    """
    change = Change.objects.filter(service=service, sha=sha).first()
    if change is None:
        change = (
            Change.objects.filter(service=service, commit_shas__contains=[sha], pr_number__isnull=False)
            .order_by("id")
            .first()
        )
    if change is not None:
        return change
    change, _ = Change.objects.get_or_create(
        service=service, sha=sha, defaults={"repository": repository, **(defaults or {})}
    )
    return change


def change_by_pull_request(*, service: Service, repository: str, number: int, head_sha: str) -> Change:
    """The change a pull request becomes; before its merge it is known by the PR's head commit."""
    change = (
        Change.objects.filter(service=service, repository__iexact=repository, pr_number=number)
        .order_by("id")
        .first()
    )
    if change is not None:
        return change
    change = change_by_sha(
        service=service, repository=repository, sha=head_sha, defaults={"pr_number": number}
    )
    if change.pr_number is None:
        change.pr_number = number
        change.save(update_fields=["pr_number", "updated_at"])
    return change


def change_for_merged_pull_request(
    *, service: Service, repository: str, number: int, merge_sha: str, head_sha: str
) -> Change:
    """The one change of a merged PR, keyed by its merge commit, with every earlier stand-in folded into it.

    1. Collect the rows that stood for this PR: by (repository, number) and by its merge and head shas.
    2. The survivor is the row with sign-offs (the ledger is append-only, so it cannot move), else the one
       already at the merge sha, else the oldest; the others are folded into it and deleted.
    3. The survivor takes the merge sha.
    """
    candidates = list(
        Change.objects.filter(
            Q(repository__iexact=repository, pr_number=number) | Q(sha__in=[merge_sha, head_sha]),
            service=service,
        ).order_by("id")
    )
    if not candidates:
        return Change.objects.create(service=service, repository=repository, sha=merge_sha, pr_number=number)
    signed = {
        change_id
        for change_id in SignOff.objects.filter(change__in=candidates).values_list("change_id", flat=True)
    }
    if len(signed) > 1:
        raise PayloadError(f"PR #{number} of {repository} is signed off as {len(signed)} separate changes")
    survivor = next(
        (c for c in candidates if c.id in signed),
        next((c for c in candidates if c.sha == merge_sha), candidates[0]),
    )
    for other in candidates:
        if other.id != survivor.id:
            change_fold(source=other, into=survivor)
    if survivor.sha != merge_sha or survivor.pr_number != number:
        survivor.sha = merge_sha
        survivor.pr_number = number
        survivor.save(update_fields=["sha", "pr_number", "updated_at"])
    return survivor


def change_fold(*, source: Change, into: Change) -> None:
    """Moves everything attached to `source` onto `into`, then deletes `source`.

    Rows that would duplicate one on `into` (the same commit, the same review) are dropped, and so is a
    one-to-one row (a rollback plan) when `into` has its own.
    """
    into.commit_shas = sorted_union(into.commit_shas, source.commit_shas, [source.sha])
    into.labels = sorted_union(into.labels, source.labels)
    into.touches_schema_migration = into.touches_schema_migration or source.touches_schema_migration
    into.touched = sorted_union(into.touched, source.touched)
    if source.described_by == "github":
        into.described_by = source.described_by
    for field in ("title", "pr_url", "merged_by_login"):
        if not getattr(into, field):
            setattr(into, field, getattr(source, field))
    if not into.author_logins:
        into.author_logins = source.author_logins
    into.save()
    for relation in Change._meta.related_objects:
        if relation.many_to_many:
            continue
        model, fk = relation.related_model, relation.field.name
        rows = model._default_manager.filter(**{fk: source})
        if relation.one_to_one:
            # One per change (rollback plan, AI provenance, analysis results): the survivor keeps its own;
            # one only the folded row had moves over (provenance and analyses are recomputed anyway).
            if model._default_manager.filter(**{fk: into}).exists():
                rows.delete()
            else:
                rows.update(**{fk: into})
            continue
        for row_id in rows.values_list("pk", flat=True):
            try:
                with transaction.atomic():
                    model._default_manager.filter(pk=row_id).update(**{fk: into})
            except IntegrityError:
                model._default_manager.filter(pk=row_id).delete()
    source.delete()


def change_link_people(change: Change) -> None:
    """Links authors and merger to the people whose GitHub login they are, when we know them."""
    logins = [login.lower() for login in change.author_logins]
    people = Person.objects.annotate(login=Lower("github_login")).filter(login__in=logins)
    change.authors.set(people)
    merged_by = person_by_login(change.merged_by_login)
    if change.merged_by_id != (merged_by.id if merged_by else None):
        change.merged_by = merged_by
        change.save(update_fields=["merged_by", "updated_at"])
