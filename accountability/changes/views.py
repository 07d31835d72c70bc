from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accountability.analysis.change_selectors import (
    change_for_page,
    delegates_for,
    evidence_notes,
    ledger_state,
    person_for_user,
    review_ids,
    signoff_queue_parts,
    standing_approvals,
)
from accountability.analysis.comparison import failure_rate_comparisons
from accountability.analysis.gap_selectors import gaps_by_team, gaps_for_team
from accountability.analysis.gaps import gap_acknowledge
from accountability.analysis.metric_selectors import attribution_coverage, metric_rows_for_page
from accountability.analysis.models import Gap
from accountability.analysis.services import change_analyze
from accountability.analysis.signoffs import signoff_policy, signoff_revoke, signoff_submit
from accountability.analysis.trends import LEVELS as TREND_LEVELS
from accountability.analysis.trends import weekly_trend
from accountability.audit.http import client_ip
from accountability.catalog.models import Team
from accountability.changes.forms import (
    METRIC_PERIODS,
    AcknowledgeGapForm,
    GapsFilterForm,
    MetricsFilterForm,
    ReviewFilterForm,
    RevokeForm,
    SignOffForm,
)
from accountability.changes.ledger import SignOffRefused
from accountability.changes.models import Change, SignOff
from accountability.changes.rows import review_rows
from accountability.identity.stepup import (
    auth_for_ledger,
    auth_signing_problem,
    pending_signoff_keep,
    pending_signoff_take,
)
from accountability.incidents.selectors import incidents_caused_by
from accountability.web.charts import (
    blast_radius_layout,
    deploys_per_week_chart,
    failure_rate_chart,
    failure_rate_trend_chart,
)
from accountability.web.permissions import can_acknowledge_gap, can_sign_off, can_view, check, require

PAGE_SIZE = 50


def _partial(request, template: str, name: str) -> str:
    """The named partial for an htmx swap; the whole page for everything else, history restores included."""
    if request.htmx and not request.htmx.history_restore_request:
        return f"{template}#{name}"
    return template


@require_GET
@require(can_view)
def review(request):
    form = ReviewFilterForm(request.GET, teams=list(Team.objects.values_list("slug", "name")))
    filters = form.filters()
    ids = review_ids(filters=filters)
    page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "rows": review_rows(ids=list(page.object_list), now=timezone.now()),
        "capped": ids.capped,
        "query": query.urlencode(),
        "sort_query": sort_query.urlencode(),
    }
    return render(request, _partial(request, "changes/review.html", "table"), context)


@require_GET
@require(can_view)
def my_signoffs(request):
    person = person_for_user(request.user)
    context = {"person": person, "waiting": [], "shipped": []}
    if person is not None:
        now = timezone.now()
        queue = signoff_queue_parts(person=person)
        context["waiting"] = review_rows(ids=queue.waiting, now=now, waiting_since=queue.waiting_since)
        context["shipped"] = review_rows(ids=queue.shipped, now=now)
    return render(request, "changes/my_signoffs.html", context)


def _production_policy(change: Change):
    return next(
        (result for result in change.policy_results.all() if result.environment == "production"), None
    )


def _render_change(request, pk: int, *, form=None, revoke_form=None, status=200):
    try:
        change = change_for_page(pk=pk)
    except Change.DoesNotExist:
        raise Http404("No such change.") from None
    radius = getattr(change, "blast_radius", None)
    verdict = can_sign_off(request.user, change)
    standing = standing_approvals(change=change)
    person = person_for_user(request.user)
    # A signer whose approval is in force sees it and "Revoke", not a form that would sign twice.
    mine = next((entry for entry in standing if person and entry.signer_id == person.pk), None)
    signing = bool(verdict) and mine is None
    if signing and form is None:
        # Back from signing in again (step-up): the form as it was posted, for the signer to send again.
        kept = pending_signoff_take(request.session, change_id=change.pk)
        if kept is not None:
            form = SignOffForm(initial=kept, delegates=delegates_for(change=change))
    context = {
        "change": change,
        "plan": getattr(change, "rollback_plan", None)
        or getattr(change.service, "default_rollback_plan", None),
        "radius": radius,
        "graph": blast_radius_layout(impacted=radius.impacted, changed_slug=change.service.slug)
        if radius
        else None,
        "evidence": evidence_notes(change=change),
        "policy": _production_policy(change),
        "standing": standing,
        "caused": incidents_caused_by(change_id=change.pk),
        "my_approval": mine,
        "ledger": ledger_state(),
        "sign_verdict": verdict,
        "form": form or (SignOffForm(delegates=delegates_for(change=change)) if signing else None),
        "signing_policy": signoff_policy(change=change) if (signing or form) else None,
        "revoke_form": revoke_form or RevokeForm(),
    }
    return render(request, "changes/detail.html", context, status=status)


@require_GET
@require(can_view)
def change_detail(request, pk):
    return _render_change(request, pk)


@require_POST
@require(can_view)
def change_sign(request, pk):
    try:
        change = change_for_page(pk=pk)
    except Change.DoesNotExist:
        raise Http404("No such change.") from None
    check(can_sign_off(request.user, change))
    problem = auth_signing_problem(request.session)
    if problem:
        pending_signoff_keep(request.session, change_id=change.pk, data=request.POST)
        return _reauthenticate(request, change, problem=problem)
    form = SignOffForm(request.POST, delegates=delegates_for(change=change))
    if not form.is_valid():
        return _render_change(request, pk, form=form, status=400)
    data = form.cleaned_data
    try:
        signoff_submit(
            change=change,
            user=request.user,
            signer=request.user.person,
            decision=data["decision"],
            read_ai_parts=data["read_ai_parts"],
            understood_blast_radius=data["understood_blast_radius"],
            rollback_ready=data["rollback_ready"],
            on_call_through_bake=data["on_call_through_bake"],
            delegate=data["delegate"],
            note=data["note"],
            override_reason=data["override_reason"],
            ip_address=client_ip(request),
            auth=auth_for_ledger(request.session),
        )
    except SignOffRefused as refusal:
        form.add_error(None, str(refusal))
        return _render_change(request, pk, form=form, status=400)
    # The page shown next must not contradict the decision: recompute this change's sign-off state,
    # risk and policy results now rather than waiting for the worker (it takes well under a second).
    change_analyze(change_id=change.pk)
    messages.success(request, f"Your {data['decision']} of {change.sha[:8]} is in the ledger.")
    return _redirect_to_change(request, change)


@require_POST
@require(can_view)
def change_revoke(request, pk):
    try:
        change = change_for_page(pk=pk)
    except Change.DoesNotExist:
        raise Http404("No such change.") from None
    check(can_sign_off(request.user, change))
    form = RevokeForm(request.POST)
    if not form.is_valid():
        return _render_change(request, pk, revoke_form=form, status=400)
    approval = SignOff.objects.filter(pk=form.cleaned_data["signoff"], change=change).first()
    if approval is None:
        form.add_error(None, "That sign-off is not one of this change's.")
        return _render_change(request, pk, revoke_form=form, status=400)
    try:
        signoff_revoke(
            change=change,
            user=request.user,
            signer=request.user.person,
            approval=approval,
            note=form.cleaned_data["note"],
            ip_address=client_ip(request),
        )
    except SignOffRefused as refusal:
        form.add_error(None, str(refusal))
        return _render_change(request, pk, revoke_form=form, status=400)
    change_analyze(change_id=change.pk)
    messages.success(request, "The approval is revoked; the ledger keeps both entries.")
    return _redirect_to_change(request, change)


def _reauthenticate(request, change: Change, *, problem: str):
    """Step-up: a session whose sign-in is older than SIGNOFF_MAX_AUTH_AGE_SECONDS signs in again (the login
    page offers the way it signed in: the provider, asked to authenticate anew, or the password) and comes
    back to the form. A page, not a redirect to the provider: the form's CSP (form-action 'self') would stop
    a POST redirected to another origin."""
    back = reverse("changes:detail", kwargs={"pk": change.pk}) + "#sign"
    messages.info(request, problem)
    return redirect(f"{reverse('login')}?{urlencode({'next': back, 'reauth': '1'})}")


def _redirect_to_change(request, change: Change):
    # Sign-off and revoke are plain form posts (a ledger entry deserves a full page load and a message).
    return redirect("changes:detail", pk=change.pk)


@require_GET
@require(can_view)
def gaps(request):
    form = GapsFilterForm(request.GET)
    team, code = form.value("team"), form.value("code")
    context = {
        "teams": gaps_by_team(),
        "team": team,
        "code": code,
        "codes": Gap.Code.choices,
        "drilldown": list(gaps_for_team(team_slug=team, code=code)) if team else [],
        "ack_form": AcknowledgeGapForm(),
    }
    return render(request, _partial(request, "changes/gaps.html", "panel"), context)


@require_POST
@require(can_acknowledge_gap)
def gap_acknowledge_view(request, pk):
    gap = get_object_or_404(Gap.objects.select_related("accountable_team"), pk=pk)
    form = AcknowledgeGapForm(request.POST)
    team = gap.accountable_team.slug if gap.accountable_team else "-"
    if form.is_valid():
        gap_acknowledge(
            gap=gap, user=request.user, note=form.cleaned_data["note"], ip_address=client_ip(request)
        )
        messages.success(request, f"Acknowledged: {gap.get_code_display()}. It stays listed until resolved.")
    else:
        messages.error(
            request, "Write a note to acknowledge a gap: what is being done, or why it is accepted."
        )
    return redirect(f"{reverse('changes:gaps')}?team={team}#gap-{gap.pk}")


@require_GET
@require(can_view)
def metrics(request):
    form = MetricsFilterForm(request.GET)
    team_slug, period_key = form.values()
    team = Team.objects.filter(slug=team_slug).only("pk", "slug", "name").first() if team_slug else None
    now = timezone.now()
    start = now - timedelta(days=METRIC_PERIODS[period_key])
    rows = metric_rows_for_page(period_start=start, period_end=now, team_id=team.pk if team else None)
    chart = failure_rate_chart(
        rows=[
            {
                "label": row.ai_level,
                "deployments": row.deployments,
                "failures": row.failures,
                "enough_data": row.enough_data,
                "rate": row.failure_rate,
                "low": row.failure_rate_low,
                "high": row.failure_rate_high,
            }
            for row in rows
        ]
    )
    context = {
        "rows": rows,
        "chart": chart,
        "comparisons": failure_rate_comparisons(rows=rows, minimum=settings.ANALYSIS_METRICS_MIN_SAMPLE),
        "team": team.slug if team else "",
        "teams": Team.objects.only("slug", "name"),
        "periods": [(key, f"last {days} days") for key, days in METRIC_PERIODS.items()],
        "period": period_key,
        "coverage": attribution_coverage(team_slug=team, period=(start, now)),
        "start": start,
        "end": now,
        "minimum": settings.ANALYSIS_METRICS_MIN_SAMPLE,
        **_weekly_trend(now=now, team_id=team.pk if team else None),
    }
    return render(request, _partial(request, "changes/metrics.html", "panel"), context)


def _weekly_trend(*, now, team_id: int | None) -> dict:
    weeks = weekly_trend(now=now, team_id=team_id, minimum=settings.ANALYSIS_METRICS_MIN_SAMPLE)
    return {
        "weeks": weeks,
        "trend_deployments": sum(week.deployments for week in weeks),
        "trend_levels": TREND_LEVELS,
        "deploys_chart": deploys_per_week_chart(weeks=weeks),
        "rate_trend_chart": failure_rate_trend_chart(weeks=weeks, levels=TREND_LEVELS),
    }
