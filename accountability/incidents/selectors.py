"""Reads of incidents for the pages."""

from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q, QuerySet

from accountability.catalog.models import Service
from accountability.changes.models import Deployment
from accountability.incidents.models import Incident, SuspectChange


def incidents_for_service(*, service: Service, limit: int = 5) -> list[Incident]:
    return list(service.incidents.order_by("-started_at")[:limit])


def incidents_recent(*, limit: int = 50) -> QuerySet[Incident]:
    """Open incidents first, then the most recent ones."""
    return (
        Incident.objects.select_related("commander")
        .prefetch_related(Prefetch("services", queryset=Service.objects.only("id", "name", "slug")))
        .annotate(is_open=ExpressionWrapper(Q(resolved_at__isnull=True), output_field=BooleanField()))
        .order_by("-is_open", "-started_at")[:limit]
    )


def incident_for_page(*, pk: int) -> Incident:
    suspects = SuspectChange.objects.select_related(
        "change__service__owner_team",
        "change__service__owner_of_record",
        "change__provenance",
        "change__rollback_plan",
        "change__service__default_rollback_plan",
        "verdict_by__person",
    ).prefetch_related(
        Prefetch(
            "change__deployments",
            queryset=Deployment.objects.filter(environment="production").order_by("-finished_at", "-id"),
        )
    )
    return (
        Incident.objects.select_related("commander")
        .prefetch_related(
            Prefetch("services", queryset=Service.objects.select_related("owner_team", "owner_of_record")),
            "timeline",
            Prefetch("suspects", queryset=suspects.order_by("rank")),
        )
        .get(pk=pk)
    )


def incidents_search(*, query: str, limit: int = 8) -> list[Incident]:
    """Incidents by id ("42" or "#42"), source id (a PagerDuty incident id) or words of the title;
    open ones first."""
    query = query.strip()
    if len(query) < 2 and not query.lstrip("#").isdigit():
        return []
    match = Q(title__icontains=query) | Q(external_id__iexact=query)
    number = query.lstrip("#")
    if number.isdigit() and len(number) < 10:
        match |= Q(pk=int(number))
    return list(
        Incident.objects.filter(match)
        .annotate(is_open=ExpressionWrapper(Q(resolved_at__isnull=True), output_field=BooleanField()))
        .order_by("-is_open", "-started_at")[:limit]
    )


def incidents_caused_by(*, change_id: int) -> list[SuspectChange]:
    """The incidents this change is a confirmed cause of (their suspect rows, with the incident)."""
    return list(
        SuspectChange.objects.filter(change_id=change_id, verdict=SuspectChange.Verdict.CONFIRMED)
        .select_related("incident", "verdict_by__person")
        .order_by("-incident__started_at")
    )
