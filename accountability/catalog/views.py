from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accountability.analysis.change_selectors import service_recent_changes
from accountability.analysis.people_selectors import person_by_handle, person_page, team_for_page, team_page
from accountability.analysis.selectors import unclaimed_repositories_matching
from accountability.catalog.forms import SearchForm
from accountability.catalog.models import Person, Service, Team
from accountability.catalog.selectors import (
    catalog_search,
    service_for_page,
    team_on_call,
)
from accountability.changes.rollback import rollback_plan_for
from accountability.incidents.selectors import incidents_for_service, incidents_search
from accountability.web.permissions import can_view, require


@require_GET
@require(can_view)
def search(request):
    query = SearchForm(request.GET).query()
    results = catalog_search(query=query)
    results.unclaimed = unclaimed_repositories_matching(query=results.query)
    template = "catalog/search.html#results" if request.htmx else "catalog/search.html"
    return render(request, template, {"results": results, "incidents": incidents_search(query=query)})


@require_GET
@require(can_view)
def service_detail(request, slug):
    try:
        service = service_for_page(slug=slug)
    except Service.DoesNotExist:
        raise Http404("No service with that name.") from None
    default_plan = getattr(service, "default_rollback_plan", None)
    changes = [
        (change, rollback_plan_for(change=change, service_default=default_plan))
        for change in service_recent_changes(service=service)
    ]
    return render(
        request,
        "catalog/service.html",
        {
            "service": service,
            "on_call": team_on_call(team=service.owner_team),
            "changes": changes,
            "incidents": incidents_for_service(service=service),
        },
    )


@require_GET
@require(can_view)
def person_detail(request, handle):
    try:
        person = person_by_handle(handle=handle)
    except Person.DoesNotExist:
        raise Http404("Nobody in the catalog has that handle.") from None
    return render(request, "catalog/person.html", {"page": person_page(person=person), "person": person})


@require_GET
@require(can_view)
def team_detail(request, slug):
    try:
        team = team_for_page(slug=slug)
    except Team.DoesNotExist:
        raise Http404("No team with that name.") from None
    now = timezone.now()
    page = team_page(team=team, now=now)
    context = {
        "page": page,
        "team": team,
        "on_call": team_on_call(team=team, at=now),
    }
    return render(request, "catalog/team.html", context)
