"""Which Change a sha or a pull request is: the identity rules every writer shares (the sources, the CI API,
the deploy gate).

Events about one change arrive in any order (a review before the merge, a push before the PR, a deployment
before either), so these rules make the end state independent of that order:

- a Change is found by (service, sha) or, before its merge, by (repository, PR number); whatever arrives first
  creates it with what it knows, and the merged PR, when it comes, folds every row that stood for the same
  change into one (`change_fold`), keyed by the merge commit;
- a sha that is one of a merged PR's commits (its head, deployed before the merge) finds that PR's change;
- everything that accumulates (commit shas, labels, what it touched) is a union, kept sorted.
"""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Case, Q, Value, When

from accountability.catalog.models import Service
from accountability.changes.models import Change, SignOff


class ChangeIdentityConflict(Exception):
    """The rows standing for one change cannot be made one (each is signed off: the ledger cannot move)."""


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
        raise ChangeIdentityConflict(
            f"PR #{number} of {repository} is signed off as {len(signed)} separate changes"
        )
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


def change_find(
    *, service: str, sha: str, repository: str = "", pr_number: int | None = None
) -> Change | None:
    """The change a CI request is about, found as the GitHub adapter finds changes.

    By (service, sha); else by its pull request; else as the change one of whose commits `sha` is (CI built
    the PR's head, the merge made the change). So CI and webhooks describing one change make one row.
    """
    changes = Change.objects.filter(service__slug=service).select_related("service").order_by("id")
    sha = sha.lower()
    return (
        changes.filter(sha=sha).first()
        or (
            changes.filter(repository__iexact=repository, pr_number=pr_number).first()
            if repository and pr_number
            else None
        )
        or changes.filter(commit_shas__contains=[sha]).first()
    )


def change_deployed_at(*, service: Service, sha: str) -> Change | None:
    """The change deployed at `sha`: its merge sha, or one of its PR's commits (a head deployed early)."""
    sha = sha.lower()
    return (
        Change.objects.filter(service=service)
        .filter(Q(sha=sha) | Q(commit_shas__contains=[sha]))
        .select_related("service")
        .annotate(exact=Case(When(sha=sha, then=Value(0)), default=Value(1)))
        .order_by("exact", "id")
        .first()
    )
