"""The rows of the risk review table (and of My sign-offs), as HTML.

A page shows 50 of them and DESIGN §16 gives its partial 100 ms at 20 concurrent users and 30 KB.
Django's template engine spent ~15 ms on 50 rows of nested includes and tags, and model instances for
seven joined tables another ~15 ms, so the rows are read as tuples in three queries and each row is
one `str.format` of values escaped here (`format_html`'s lazy escaping cost twice as much).
The markup is the table's contract with the stylesheet (`table.review` in static/css/app.css): one
line per row, short classes, the columns styled by position.
"""

import re
from collections import defaultdict
from datetime import datetime
from html import escape

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import F, OuterRef, Subquery, Window
from django.db.models.functions import RowNumber
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.timesince import timesince

from accountability.analysis.models import PolicyResult
from accountability.changes.models import (
    AIProvenance,
    Change,
    Deployment,
    Environment,
    Evidence,
    RollbackPlan,
    SignOff,
)

# Cells and rows end where the next begins (HTML's optional end tags): 45 bytes a row.
ROW = (
    "<tr><td>{}"
    "<td><a {}>{}</a><small><code>{}</code>{} · {}</small>"
    '<td><a {}>{}</a> <i class="tier t{}">T{}</i><small>{}</small>'
    "<td>{}<td>{}<td>{}<td>{}<td>{}\n"
)
# A path of these characters needs no quotes around it in an attribute (HTML's unquoted attribute value).
UNQUOTED = re.compile(r"[A-Za-z0-9/._~%-]+")
STRATEGIES = dict(RollbackPlan.Strategy.choices)
CONFIDENCES = dict(AIProvenance.Confidence.choices)
STATUSES = dict(Deployment.Status.choices)
EVIDENCE_KINDS = dict(Evidence.Kind.choices)
SHOWN_DEPLOYMENTS = 2
SIGNOFF_LAST_WORDS = {"reject": "rejected", "revoke": "revoked"}
SIGNOFF_BADGES = {"signed": "ok", "revoked": "warn", "rejected": "bad", "unsigned": "bad"}
COLUMNS = (
    "pk",
    "title",
    "sha",
    "pr_number",
    "author_logins",
    "risk_score",
    "ai_level",
    "ai_share",
    "approved",
    "last_decision",
    "last_signer",
    "service__slug",
    "service__name",
    "service__tier",
    "service__owner_team__name",
    "service__owner_team__slug",
    "provenance__confidence",
    "rollback_plan__strategy",
    "rollback_plan__last_rehearsed_at",
    "service__default_rollback_plan__strategy",
    "service__default_rollback_plan__last_rehearsed_at",
    "evidence_passed",
    "evidence_failing",
    "last_signer_id",
)


def review_rows(
    *, ids: list[int], now: datetime, waiting_since: dict[int, datetime] | None = None
) -> list[SafeString]:
    """The table rows of these changes, in the order given, in three queries whatever their number.

    With `waiting_since`, each row ends with one more cell: since when the change waits (My sign-offs)."""
    evidence = Evidence.objects.filter(change=OuterRef("pk")).order_by().values("kind").distinct()
    changes = (
        Change.objects.filter(pk__in=ids)
        .annotate(
            evidence_passed=ArraySubquery(evidence.filter(result=Evidence.Result.PASSED)),
            evidence_failing=ArraySubquery(evidence.exclude(result=Evidence.Result.PASSED)),
            # `last_signer` is the name a trigger copies; the person's page needs their id.
            last_signer_id=Subquery(
                SignOff.objects.filter(change=OuterRef("pk")).order_by("-id").values("signer_id")[:1]
            ),
        )
        .values_list(*COLUMNS)
    )
    deployments = defaultdict(list)
    # A row shows a change's two latest deployments; a change redeployed thousands of times must not send
    # thousands of rows here, so the database ranks them and returns two per change.
    latest = Window(RowNumber(), partition_by="change_id", order_by=[F("finished_at").desc(), F("id").desc()])
    for change_id, *deployment in (
        Deployment.objects.filter(change_id__in=ids)
        .annotate(latest=latest)
        .filter(latest__lte=SHOWN_DEPLOYMENTS)
        .order_by("change_id", "latest")
        .values_list("change_id", "environment", "status", "finished_at")
    ):
        deployments[change_id].append(deployment)
    policy = dict(
        PolicyResult.objects.filter(change_id__in=ids, environment=Environment.PRODUCTION).values_list(
            "change_id", "decision"
        )
    )
    by_id = {
        values[0]: _row(values, deployments=deployments[values[0]], policy=policy.get(values[0]), now=now)
        for values in changes
    }
    if waiting_since is not None:
        for pk, row in by_id.items():
            cell = _since(waiting_since.get(pk), now)
            by_id[pk] = mark_safe(row.rstrip("\n") + f"<td>{cell}\n")  # noqa: S308 - a safe row, an escaped cell
    return [by_id[pk] for pk in ids if pk in by_id]


def _since(at: datetime | None, now: datetime) -> str:
    if at is None:
        return "<span class=muted>—</span>"
    return f"{at:%Y-%m-%d %H:%M}<small>{escape(timesince(at, now))}</small>"


def _row(values: tuple, *, deployments: list, policy: str | None, now: datetime) -> SafeString:
    (
        pk,
        title,
        sha,
        pr_number,
        authors,
        risk,
        ai_level,
        ai_share,
        approved,
        last_decision,
        last_signer,
        service_slug,
        service_name,
        tier,
        team,
        team_slug,
        confidence,
        strategy,
        rehearsed_at,
        default_strategy,
        default_rehearsed_at,
        passed,
        failing,
        last_signer_id,
    ) = values
    if strategy is None:  # a change without a plan of its own inherits its service's default
        strategy, rehearsed_at = default_strategy, default_rehearsed_at
    return mark_safe(  # noqa: S308 - every value below is escaped or a number
        ROW.format(
            _risk(risk),
            _href(reverse("changes:detail", args=[pk])),
            escape(Truncator(title or sha).chars(72)),
            escape(sha[:8]),
            f" #{pr_number}" if pr_number else "",
            escape(", ".join(authors) or "unknown author"),
            _href(reverse("catalog:service", args=[service_slug])),
            escape(service_name),
            tier,
            tier,
            _team(team, team_slug),
            _ai(ai_level, ai_share, confidence),
            _evidence(passed or [], failing or []),
            _rollback(strategy, rehearsed_at, now),
            _signoff(approved, last_decision, last_signer, last_signer_id, policy),
            _deployments(deployments),
        )
    )


def _href(url: str) -> str:
    """An href, unquoted where the path allows it: four a row, the partial's bytes add up."""
    return f"href={url}" if UNQUOTED.fullmatch(url) else f'href="{escape(url)}"'


def _risk(score: int | None) -> str:
    if score is None:
        return '<span class=muted title="not computed yet">—</span>'
    return f'<b class="risk r{"h" if score >= 60 else "m" if score >= 30 else "l"}">{score}</b>'


def _ai(level: str, share, confidence: str | None) -> str:
    label = escape(level if share is None else f"{level} {round(share * 100)}%")
    title = f' title="{escape(CONFIDENCES.get(confidence, confidence))}"' if confidence else ""
    return f'<i class="ai ai-{escape(level)}"{title}>{label}</i>'


def _evidence(passed: list[str], failing: list[str]) -> str:
    # Passed is the plain pill (green in the stylesheet): five bytes a pill, the partial stays under 30 KB.
    pills = [f"<i class=ev>{escape(EVIDENCE_KINDS.get(kind, kind))}</i>" for kind in passed]
    pills += [
        f'<i class="ev bad">{escape(EVIDENCE_KINDS.get(kind, kind))}</i>'
        for kind in failing
        if kind not in passed
    ]
    return " ".join(pills) or '<i class="badge bad">none</i>'


def _rollback(strategy: str | None, rehearsed_at: datetime | None, now: datetime) -> str:
    if strategy is None:
        return '<i class="badge bad">no plan</i>'
    label = escape(STRATEGIES.get(strategy, strategy))
    if rehearsed_at is None:
        return f"{label}<small class=warn>never rehearsed</small>"
    return f"{label}<small>rehearsed {escape(timesince(rehearsed_at, now, depth=1))} ago</small>"


def _team(name: str | None, slug: str | None) -> str:
    if not name:
        return "no team"
    try:
        return f"<a {_href(reverse('catalog:team', args=[slug]))}>{escape(name)}</a>"
    except NoReverseMatch:  # a slug with a slash from some source: the name alone
        return escape(name)


def _signoff(
    approved: bool, last_decision: str, last_signer: str, last_signer_id: int | None, policy: str | None
) -> str:
    state = "signed" if approved else SIGNOFF_LAST_WORDS.get(last_decision, "unsigned")
    cell = f'<i class="badge {SIGNOFF_BADGES[state]}">{state}</i>'
    if last_signer and last_signer_id:
        href = _href(reverse("catalog:person", args=[f"id.{last_signer_id}"]))
        cell += f"<small><a {href}>{escape(last_signer)}</a></small>"
    elif last_signer:
        cell += f"<small>{escape(last_signer)}</small>"
    if policy:
        # One class (the stylesheet gives each decision the pill's shape): ten bytes a row.
        cell += f'<i class="policy-{escape(policy)}">policy {escape(policy)}</i>'
    return cell


def _deployments(deployments: list) -> str:
    lines = []
    for environment, status, finished in deployments:
        # Succeeded is the usual case and needs no colour; the others are coloured by status.
        label = escape(STATUSES.get(status, status))
        if status != Deployment.Status.SUCCEEDED:
            label = f'<span class="status-{escape(status)}">{label}</span>'
        lines.append(f"{escape(environment)} {label} {f'{finished:%Y-%m-%d %H:%M}' if finished else ''}")
    return "<br>".join(lines) or "<span class=muted>pending</span>"
