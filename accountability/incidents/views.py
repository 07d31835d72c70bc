from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accountability.analysis.verdicts import suspect_verdict_record, suspect_verdict_undo
from accountability.audit.http import client_ip
from accountability.catalog.selectors import on_call_now_by_team
from accountability.incidents.forms import VerdictForm
from accountability.incidents.models import Incident, SuspectChange
from accountability.incidents.selectors import incident_for_page, incidents_recent
from accountability.ingest.models import Source
from accountability.web.links import pagerduty_incident_url
from accountability.web.permissions import can_judge_suspect, can_view, require


@require_GET
@require(can_view)
def incident_list(request):
    return render(request, "incidents/list.html", {"incidents": incidents_recent()})


def _render_incident(request, pk, *, form=None, asking=None, done="", status=200):
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
        # The suspect whose verdict is being asked about once more ({"pk", "verdict", "note"}).
        "asking": asking,
        "done": done,
        "oob": bool(request.htmx and done),
        "source_url": _source_url(incident),
    }
    template = "incidents/detail.html#suspects" if request.htmx else "incidents/detail.html"
    return render(request, template, context, status=status)


def _source_url(incident: Incident) -> str:
    """The incident at its source: the stored html_url, else built from a PagerDuty source's `web_url`
    option (its account's address), looked up only when needed."""
    web_url = ""
    if not incident.url and incident.source == "pagerduty":
        configs = Source.objects.filter(kind=Source.Kind.PAGERDUTY).values_list("config", flat=True)
        web_url = next((c["web_url"] for c in configs if isinstance(c, dict) and c.get("web_url")), "")
    return pagerduty_incident_url(
        source=incident.source, external_id=incident.external_id, stored=incident.url, web_url=web_url
    )


@require_GET
@require(can_view)
def incident_detail(request, pk):
    return _render_incident(request, pk)


def _said(suspect: SuspectChange, verdict: str) -> str:
    what = {
        SuspectChange.Verdict.CONFIRMED: "is confirmed as the cause",
        SuspectChange.Verdict.RULED_OUT: "is ruled out",
        SuspectChange.Verdict.NONE: "is open again: the verdict was undone",
    }[verdict]
    return f"Suspect #{suspect.rank} ({suspect.change.sha[:8]}) {what}; the timeline says so."


@require_POST
@require(can_judge_suspect)
def suspect_verdict(request, pk, suspect_pk):
    suspect = get_object_or_404(SuspectChange.objects.select_related("change"), pk=suspect_pk, incident_id=pk)
    form = VerdictForm(request.POST)
    if not form.is_valid():
        return _render_incident(request, pk, form=form, status=400)
    verdict, note = form.cleaned_data["verdict"], form.cleaned_data["note"]
    if verdict == SuspectChange.Verdict.NONE:
        suspect_verdict_undo(suspect=suspect, user=request.user, ip_address=client_ip(request))
    elif not form.cleaned_data["sure"]:
        # Ask once, on the page: a verdict feeds the failure rates and the timeline.
        return _render_incident(request, pk, asking={"pk": suspect.pk, "verdict": verdict, "note": note})
    else:
        suspect_verdict_record(
            suspect=suspect, verdict=verdict, user=request.user, note=note, ip_address=client_ip(request)
        )
    said = _said(suspect, verdict)
    if request.htmx:
        return _render_incident(request, pk, done=said)
    messages.success(request, said)
    return redirect(f"{reverse('incidents:detail', args=[pk])}#suspect-{suspect.pk}")
