from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accountability.analysis.suspects import suspect_confirm, suspect_rule_out
from accountability.audit.http import client_ip
from accountability.catalog.selectors import on_call_now_by_team
from accountability.incidents.forms import VerdictForm
from accountability.incidents.models import Incident, SuspectChange
from accountability.incidents.selectors import incident_for_page, incidents_recent
from accountability.web.permissions import can_judge_suspect, can_view, require


@require_GET
@require(can_view)
def incident_list(request):
    return render(request, "incidents/list.html", {"incidents": incidents_recent()})


def _render_incident(request, pk, *, form=None, status=200):
    try:
        incident = incident_for_page(pk=pk)
    except Incident.DoesNotExist:
        raise Http404("No such incident.") from None
    services = list(incident.services.all())
    on_call = on_call_now_by_team(
        team_ids={service.owner_team_id for service in services if service.owner_team_id}
    )
    for service in services:
        service.on_call_now = on_call.get(service.owner_team_id, [])
    context = {
        "incident": incident,
        "services": services,
        "can_judge": can_judge_suspect(request.user),
        "verdict_form": form or VerdictForm(),
    }
    template = "incidents/detail.html#suspects" if request.htmx else "incidents/detail.html"
    return render(request, template, context, status=status)


@require_GET
@require(can_view)
def incident_detail(request, pk):
    return _render_incident(request, pk)


@require_POST
@require(can_judge_suspect)
def suspect_verdict(request, pk, suspect_pk):
    suspect = get_object_or_404(SuspectChange.objects.select_related("change"), pk=suspect_pk, incident_id=pk)
    form = VerdictForm(request.POST)
    if not form.is_valid():
        return _render_incident(request, pk, form=form, status=400)
    judge = (
        suspect_confirm
        if form.cleaned_data["verdict"] == SuspectChange.Verdict.CONFIRMED
        else suspect_rule_out
    )
    judge(
        suspect=suspect,
        user=request.user,
        note=form.cleaned_data["note"],
        ip_address=client_ip(request),
    )
    if request.htmx:
        return _render_incident(request, pk)
    messages.success(
        request, f"Suspect #{suspect.rank} {suspect.change.sha[:8]}: {form.cleaned_data['verdict']}."
    )
    return redirect("incidents:detail", pk=pk)
